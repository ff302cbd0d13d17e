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


def test_a_held_ui_port_names_its_holder_before_a_driver_starts(stack):
    """A kernel that died without lab.spark.stop() leaves its driver JVM holding the UI port: the next start says
    which port and whose it is (it used to end in a bare Py4JError from the new driver)."""
    import os
    import socket

    from lab import config
    from lab.errors import PortInUse
    from lab.services import spark as lab_spark

    lab_spark.stop()
    port = config.ports().spark_ui
    with socket.socket() as orphan:
        orphan.bind(("127.0.0.1", port))
        orphan.listen()
        with pytest.raises(PortInUse) as err:
            lab_spark.start()
    assert err.value.port == port and f"pid {os.getpid()}" in (err.value.holder or ""), err.value
    assert not lab_spark.running()
    assert lab_spark.start().range(3).count() == 3  # the port is free again: the next start works


def test_a_failed_start_says_why_in_one_line_with_the_drivers_log_tail(stack, tmp_path):
    """A driver that fails inside SparkContext (here: a heap Spark refuses) raises one ServiceStartError: the Java
    exception's first line, then the tail of Spark's log; not py4j's whole Java trace. A fresh process: the failed
    driver JVM stays behind as the process's Py4J gateway."""
    import subprocess
    import sys

    script = (
        "from lab.errors import ServiceStartError\n"
        "from lab.services import spark\n"
        "try:\n"
        "    spark.start(spark__driver__memory='300m', spark__ui__enabled='false')\n"
        "except ServiceStartError as err:\n"
        "    print('REASON', repr(err.reason))\n"
        "    print('TAIL', 'must be at least' in err.log_tail, 'at org.apache' not in err.log_tail)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300).stdout
    reason = next((line for line in out.splitlines() if line.startswith("REASON ")), "")
    assert "IllegalArgumentException" in reason and "memory" in reason.lower(), out[-3000:]
    assert "\\n" not in reason and len(reason) < 400, reason  # one line (its repr shows any line break)
    tail = next((line for line in out.splitlines() if line.startswith("TAIL ")), "TAIL False False")
    assert tail == "TAIL True True", out[-3000:]  # the log's own account of it, without its Java stack frames
