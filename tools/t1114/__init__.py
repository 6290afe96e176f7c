"""t1114: build, validate, test and scan the T1114 Email Collection detection pack.

The package is a library first; ``t1114.cli`` is a thin argument parser over it. Data flows
load -> validate -> compile per target -> package -> test / review / scan, one module each.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("t1114-pack")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
