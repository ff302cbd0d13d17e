"""Spark's Python workers (lab.services.pydaemon) carry no per-task cost from archives or a full collection."""

from __future__ import annotations

import pandas as pd
import pytest

pytestmark = pytest.mark.spark


def test_a_reused_worker_has_no_archive_importer_and_a_frozen_heap(stack):
    from pyspark.sql import functions as F

    from lab.services import spark as lab_spark

    spark = lab_spark.start()

    @F.pandas_udf("string")
    def report(ids: pd.Series) -> pd.Series:
        import gc
        import os
        import sys
        import zipimport

        archives = [k for k, v in sys.path_importer_cache.items() if isinstance(v, zipimport.zipimporter)]
        return pd.Series([f"{os.getpid()}|{archives}|{gc.get_freeze_count()}"] * len(ids))

    seen = {}
    for _ in range(3):  # tasks on reused workers: the second task of a worker sees what the first one left
        for (value,) in spark.range(2).repartition(1).select(report(F.col("id"))).distinct().collect():
            pid, archives, frozen = value.split("|")
            assert archives == "[]", f"a Python worker keeps archive importers (re-read at every task): {archives}"
            seen.setdefault(pid, []).append(int(frozen))
    again = [counts[1:] for counts in seen.values() if len(counts) > 1]
    assert again, f"no Python worker was reused in three tasks: {seen}"
    assert all(n > 0 for counts in again for n in counts), f"a reused worker's heap is not frozen: {seen}"
