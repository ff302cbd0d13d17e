"""lab.services.pydaemon: what Spark's Python workers keep from task to task (unit tests: no Spark)."""

from __future__ import annotations

import gc
import sys
import types
import weakref

from lab.services import pydaemon

gc_freeze = gc.freeze  # the real one, for the test that counts the calls


def test_archives_leave_the_path_when_pyspark_and_py4j_are_installed():
    path = ["/spark/python/lib/pyspark.zip", "/spark/python/lib/py4j-0.10.9.7-src.zip", "/spark/jars/spark-core.jar"]
    own = "/usr/lib/python311.zip"  # the interpreter's own archive stays
    rest = pydaemon.prefer_installed([*path, own, *sys.path])  # the test's venv has pyspark and py4j
    assert rest == [own, *sys.path]


def test_the_path_stays_when_pyspark_is_only_in_its_zip():
    path = ["/spark/python/lib/pyspark.zip", "/nowhere"]
    assert pydaemon.prefer_installed(path) == path


def test_forget_drops_the_archives_importers_and_their_namespace_packages(monkeypatch):
    jar = "/spark/jars/spark-core.jar"
    cache = {jar: object(), f"{jar}/org": object(), "/spark/jars/other.jar": object(), "/site": object()}
    monkeypatch.setattr(sys, "path_importer_cache", dict(cache))
    org = types.ModuleType("org")  # a namespace package: no __file__, its path only inside the archive
    org.__path__ = [f"{jar}/org"]
    mixed = types.ModuleType("mixed")
    mixed.__path__ = [f"{jar}/mixed", "/site/mixed"]
    regular = types.ModuleType("regular")
    regular.__file__, regular.__path__ = f"{jar}/regular/__init__.py", [f"{jar}/regular"]
    for m in (org, mixed, regular):
        monkeypatch.setitem(sys.modules, m.__name__, m)

    pydaemon.forget({jar})

    # only these keys: another thread's import may add entries meanwhile (the import system fills the cache)
    assert {jar, f"{jar}/org"}.isdisjoint(sys.path_importer_cache)
    assert {"/spark/jars/other.jar", "/site"} <= set(sys.path_importer_cache)
    assert "org" not in sys.modules  # looked up again (and not found) instead of keeping the archive's path
    assert sys.modules["mixed"] is mixed and sys.modules["regular"] is regular


def test_after_the_first_collection_the_survivors_are_frozen(monkeypatch):
    freezes = []
    monkeypatch.setattr(gc, "freeze", lambda: freezes.append(1) or gc_freeze())
    task_gc = pydaemon.TaskGc()
    try:
        assert gc.get_freeze_count() == 0
        task_gc.collect()
        assert gc.get_freeze_count() > 0 and freezes == [1]

        class Node:
            pass

        node = Node()
        node.cycle = node  # a cycle left by a later task is still collected
        gone = weakref.ref(node)
        del node
        task_gc.collect()
        assert gone() is None
        assert freezes == [1]  # frozen once, not at every task
        assert task_gc.isenabled() == gc.isenabled()  # the rest of the gc module as it is
    finally:
        gc.unfreeze()
