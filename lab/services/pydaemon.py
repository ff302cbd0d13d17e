"""Spark's Python worker daemon (spark.python.daemon.module), with pyspark imported from the installed package.

Two costs of pyspark's workers come with every task, however few its rows (py-spy on the workers of a 2,000
trips/s stream: ~130 ms of CPU per task, in a micro-batch that runs one task per worker):
- Spark puts archives on the workers' PYTHONPATH (its pyspark.zip and py4j zip first, and spark-core's jar), and
  each task calls importlib.invalidate_caches(): on Python 3.11 every zip importer in sys.path_importer_cache reads
  its archive's directory again (spark-core's jar, ~15 MB, has an importer as soon as any import looks at the end
  of the path: ~70-90 ms per task). When pyspark and py4j can be imported without the archives (pip, the lab's
  venv), the archives leave sys.path, and their importers the cache, before pyspark is imported (`lab` itself is
  imported first, by `-m`: see forget); otherwise (a Spark image that has pyspark only in its zip) nothing changes.
- A reused worker runs a full gc.collect() after every task: it walks every object the worker holds (pandas,
  pyarrow, the decoder: ~30-60 ms). After the first task's collection the survivors (modules, caches) are frozen
  (gc.freeze), so the later collections walk only what later tasks left.
"""

from __future__ import annotations

import gc
import importlib.machinery
import sys


def spark_archive(entry: str) -> bool:
    """A path entry Spark puts there: its pyspark and py4j zips, a jar (not the interpreter's own pythonNN.zip)."""
    name = entry.rsplit("/", 1)[-1]
    return name.endswith(".jar") or (name.endswith(".zip") and name.startswith(("pyspark", "py4j")))


def prefer_installed(path: list[str]) -> list[str]:
    """`path` without Spark's archives when pyspark and py4j can be imported without them; unchanged otherwise.

    >>> prefer_installed(["/spark/lib/pyspark.zip", "/spark/jars/spark-core.jar", "/nowhere"])
    ['/spark/lib/pyspark.zip', '/spark/jars/spark-core.jar', '/nowhere']
    """
    rest = [p for p in path if not spark_archive(p)]
    if all(importlib.machinery.PathFinder.find_spec(m, rest) is not None for m in ("pyspark", "py4j")):
        return rest
    return list(path)


def forget(gone: set[str]) -> None:
    """Forget what came from path entries that left sys.path: their cached importers and their packages'
    (`<archive>/pkg`), which invalidate_caches would visit, and the namespace packages found only there (`org`,
    from spark-core's jar, looked up by copy and pickle when `lab` is imported: its stale path would make a new
    importer of the jar at the next lookup)."""

    def inside(p: str) -> bool:
        return any(p == entry or p.startswith(entry + "/") for entry in gone)

    for key in [k for k in sys.path_importer_cache if inside(k)]:
        del sys.path_importer_cache[key]
    for name, module in list(sys.modules.items()):
        paths = list(getattr(module, "__path__", None) or [])
        if getattr(module, "__file__", None) is None and paths and all(inside(p) for p in paths):
            del sys.modules[name]


class TaskGc:
    """Stands in for the `gc` module in pyspark.daemon, whose reused workers call gc.collect() after each task."""

    def __init__(self) -> None:
        self.frozen = False

    def collect(self, generation: int = 2) -> int:
        found = gc.collect(generation)
        if not self.frozen:  # after the first task: what survives it stays (modules, the decoder's caches)
            gc.freeze()
            self.frozen = True
        return found

    def __getattr__(self, name: str):
        return getattr(gc, name)


if __name__ == "__main__":
    before = list(sys.path)
    sys.path[:] = prefer_installed(sys.path)
    forget(set(before) - set(sys.path))
    from pyspark import daemon

    daemon.gc = TaskGc()
    daemon.manager()
