"""The notebooks tier: the notebooks run headless in smoke mode (papermill) and learners' answers run through the
real exercise checks (answers/), all on the real local stack.

Every test collected under this folder gets (from tests/conftest.py) the marker `notebook`, so `-m` selects the tier
(see tests/README.md).
"""

from __future__ import annotations

import pytest


@pytest.fixture
def kernel_ports_free():
    """A notebook's kernel serves the lab's metrics endpoints and the Spark UI, as a learner's does: free the ports an
    earlier test of this process may still hold. The exporters (test_faults and test_stream attach them), or
    Prometheus would scrape this process's stale gauges instead of the notebook's (CI found week 06 waiting for a lag
    series that way); and this process's SparkSession (the answer table's Spark weeks), whose UI holds port 4040 that
    the kernel's session must bind (a clean-clone CI run found every Spark week failing to start Spark that way)."""
    from lab.services import exporter
    from lab.services import spark as lab_spark

    exporter.stop_all()
    lab_spark.stop()
