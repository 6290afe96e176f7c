"""The pack on Apache Spark: ``t1114 hunt`` over event files, Parquet or registered tables.

One module per job: ``session`` (the SparkSession), ``regex`` (Python to Java regular
expressions), ``backend`` (Sigma to Spark SQL), ``tables`` (the event table), ``correlations``
(correlation rules as window functions), ``hunt`` (running the pack) and ``bench``.
pyspark is imported only inside functions, so the package loads without it.
"""
