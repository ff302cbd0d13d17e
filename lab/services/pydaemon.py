"""Spark's Python worker daemon (spark.python.daemon.module), with pyspark imported from the installed package.

Spark puts its own pyspark.zip and py4j zip first on the workers' PYTHONPATH, so the workers import pyspark from the
zip. Each Python task then calls importlib.invalidate_caches(), and on Python 3.11 every zipimporter (one per package
imported from a zip: a dozen or more) reads the 2.4 MB archive's directory again: ~90 ms of CPU per task, measured,
in every micro-batch whatever its size. When pyspark is installed (pip, the lab's venv), the zips go to the end of
sys.path before anything is imported; otherwise (a Spark image that has pyspark only in its zip) nothing changes.
"""

from __future__ import annotations

import importlib.machinery
import sys


def prefer_installed(path: list[str]) -> list[str]:
    """`path` with the zip archives last when pyspark can be imported without them; `path` unchanged otherwise.

    >>> prefer_installed(["/spark/lib/pyspark.zip", "/nowhere"])
    ['/spark/lib/pyspark.zip', '/nowhere']
    """
    zips = [p for p in path if p.endswith(".zip")]
    rest = [p for p in path if not p.endswith(".zip")]
    if zips and importlib.machinery.PathFinder.find_spec("pyspark", rest) is not None:
        return rest + zips
    return list(path)


if __name__ == "__main__":
    sys.path[:] = prefer_installed(sys.path)
    from pyspark import daemon

    daemon.manager()
