from t1114.cli import main

raise SystemExit(main())
