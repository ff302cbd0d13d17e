"""The raw archive's configuration, no service: on demand only (not in `lab up`'s default set) and which topics the
Kafka Connect worker archives (the archive on the real services: tests/stack/test_archive.py)."""

from __future__ import annotations

import re

from lab import config
from lab.services import connect
from lab.services import stack as lab_stack


def test_the_archive_is_on_demand_only():
    assert "s3proxy" not in lab_stack._select(None, with_deps=True)
    assert "connect" not in lab_stack._select(None, with_deps=True)
    assert lab_stack._select(["archive"], with_deps=True) == ["kafka", "s3proxy", "connect"]
    assert lab_stack._select(["kafka"], with_deps=False) == ["kafka", "schema_registry", "connect"]
    cfg = connect.connector_config()
    assert cfg["value.converter"] == cfg["key.converter"] == "org.apache.kafka.connect.converters.ByteArrayConverter"
    assert cfg["iceberg.tables"] == config.ARCHIVE_TABLE and "topics" not in cfg
    archived = re.compile(cfg["topics.regex"])  # Kafka Connect matches the whole topic name
    for name in (config.TRIPS_TOPIC, "taxi-trips-live", "taxi-trips-w06"):
        assert archived.fullmatch(name), name
    for name in (
        config.DLQ_TOPIC,
        "taxi-trips-live-dlq",
        "taxi-trips-live-replayed",
        "t-test_x",
        config.ARCHIVE_CONTROL_TOPIC,
    ):
        assert not archived.fullmatch(name), name
