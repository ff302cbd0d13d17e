"""The production Job's way of starting the stream: spark-submit's settings win over lab.spark.start()'s defaults
(one local JVM, no services; the overlay itself: tests/unit/test_production_manifests.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.spark
def test_spark_submits_settings_win_over_the_labs_defaults(tmp_path):
    """Run by spark-submit (the production Job's way), lab.spark.start() keeps what spark-submit was given (master,
    LOCAL_QUORUM) and adds its own settings only where spark-submit gave none. ~20 s (one local JVM)."""
    script = tmp_path / "show_conf.py"
    script.write_text(
        "from lab.services import spark\n"
        "s = spark.start()\n"
        "c = s.sparkContext.getConf()\n"
        "print('CONF', c.get('spark.master'), c.get('spark.cassandra.output.consistency.level'),"
        " c.get('spark.sql.session.timeZone'))\n"
        "spark.stop()\n"
    )
    spark_submit = Path(sys.executable).parent / "spark-submit"
    out = subprocess.run(
        [
            str(spark_submit),
            "--master",
            "local[1]",
            "--conf",
            "spark.cassandra.output.consistency.level=LOCAL_QUORUM",
            "--conf",
            "spark.ui.enabled=false",
            str(script),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("CONF")), None)
    assert line == "CONF local[1] LOCAL_QUORUM UTC", out.stderr[-2000:]
