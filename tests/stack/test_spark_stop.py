"""lab.spark.stop() is bounded: a Python listener stuck in its callback cannot hang a test run or a learner's kernel."""

from __future__ import annotations

import threading
import time

import pytest

pytestmark = pytest.mark.spark


def test_stop_returns_although_a_python_listener_never_answers(stack, caplog):
    """The CI hang: Spark's listener bus waited forever on a Python callback, and SparkSession.stop() on the bus.

    Here a listener blocks in onQueryProgress until the test ends. stop() must return within its bound (removing the
    listener first, then killing the driver JVM if the session still does not stop), and Spark must start again.
    """
    from pyspark.sql.streaming import StreamingQueryListener

    from lab.services import spark as lab_spark

    entered, release = threading.Event(), threading.Event()

    class Stuck(StreamingQueryListener):
        def onQueryStarted(self, event):
            pass

        def onQueryProgress(self, event):
            entered.set()
            release.wait(600)

        def onQueryIdle(self, event):
            pass

        def onQueryTerminated(self, event):
            pass

    spark = lab_spark.start()
    first_app = spark.sparkContext.applicationId
    spark.streams.addListener(Stuck())
    spark.readStream.format("rate").option("rowsPerSecond", 5).load().writeStream.format("noop").start()
    try:
        assert entered.wait(120), "the query made no progress: the listener was never called"
        t0 = time.monotonic()
        assert lab_spark.stop(timeout=20) is True
        took = time.monotonic() - t0
        assert took < 60, f"stop() took {took:.0f} s with a stuck listener (bound 20 s plus the kill)"
        assert not lab_spark.running()
        killed = [r.getMessage() for r in caplog.records if "killed its driver JVM" in r.getMessage()]
        assert killed or took < 20, "stop() went past its bound without saying it killed the driver"
        again = lab_spark.start()
        assert again.sparkContext.applicationId != first_app
        assert again.range(3).count() == 3
    finally:
        release.set()
        lab_spark.stop()


def test_spark_logs_to_its_file_and_not_into_cells(stack, capfd):
    """A kernel forwards the driver JVM's stderr into the learner's cells: Spark's WARN lines (here the temporary
    checkpoint of a query started without one) go to lab.spark.log_file() instead."""
    from lab.services import spark as lab_spark

    lab_spark.stop()  # the JVM must start under this test's captured stderr
    capfd.readouterr()
    log = lab_spark.log_file()
    before = log.stat().st_size if log.exists() else 0
    spark = lab_spark.start()
    query = spark.readStream.format("rate").load().writeStream.format("memory").queryName("t_log_file").start()
    try:
        query.processAllAvailable()
    finally:
        query.stop()
        lab_spark.stop()
    err = capfd.readouterr().err
    assert not [line for line in err.splitlines() if " WARN " in line or " ERROR " in line], err[-2000:]
    with open(log, encoding="utf-8", errors="replace") as f:
        f.seek(before)
        assert "Temporary checkpoint location created" in f.read()
