"""The streaming job's settings without Spark: the Kafka source's options, the CLI, checkpoints of a recreated topic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lab import cli, metrics, running, stream
from lab.errors import DataLost, StreamError


class _Reader:
    """Records the options a DataStreamReader is given (Spark itself is not needed to read them)."""

    def __init__(self):
        self.options: dict[str, str] = {}

    def format(self, _name):
        return self

    def option(self, key, value):
        self.options[key] = value
        return self

    def load(self):
        return self


class _Spark:
    def __init__(self):
        self.readStream = _Reader()


@pytest.fixture
def no_broker(monkeypatch):
    monkeypatch.setattr(stream, "bootstrap_servers", lambda: "127.0.0.1:1")


def test_the_kafka_source_fails_on_data_loss_unless_allowed(no_broker):
    spark = _Spark()
    stream.raw(spark, stream.Job(source_tasks=None))
    assert spark.readStream.options["failOnDataLoss"] == "true"
    spark = _Spark()
    stream.raw(spark, stream.Job(source_tasks=None, allow_data_loss=True))
    assert spark.readStream.options["failOnDataLoss"] == "false"


def test_every_micro_batch_is_capped_also_from_the_cli_and_a_catch_up(no_broker, monkeypatch):
    """A replay or a restart reads a long backlog in batches the driver's heap holds (stream.MAX_BATCH)."""
    spark = _Spark()
    stream.raw(spark, stream.Job(source_tasks=None))
    assert spark.readStream.options["maxOffsetsPerTrigger"] == str(stream.MAX_BATCH)
    assert cli.job_from_args(cli.build_parser().parse_args(["stream"])).max_offsets_per_trigger == stream.MAX_BATCH
    small = cli.job_from_args(cli.build_parser().parse_args(["stream", "--max-offsets-per-trigger", "5000"]))
    assert small.max_offsets_per_trigger == 5000

    from lab.pipeline import driver

    started = []
    monkeypatch.setattr(driver, "driver", lambda job, log=None: started.append(job) or _Done())
    driver.finish(small)
    assert started[0].trigger == "availableNow" and started[0].max_offsets_per_trigger == stream.MAX_BATCH


class _Done:
    pid = 0

    def wait(self, timeout=None):
        return 0


def test_lab_stream_takes_base_url_and_allow_data_loss_like_lab_produce():
    args = cli.build_parser().parse_args(["stream", "--base-url", "file:///somewhere/tlc", "--allow-data-loss"])
    job = cli.job_from_args(args)
    assert job.base_url == "file:///somewhere/tlc" and job.allow_data_loss
    default = cli.job_from_args(cli.build_parser().parse_args(["stream"]))
    assert default.base_url is None and not default.allow_data_loss
    produce_flags = cli.build_parser()._subparsers._group_actions[0].choices["produce"]._option_string_actions
    assert "--base-url" in produce_flags


def test_the_zone_lookup_comes_from_the_jobs_base_url(monkeypatch, no_broker):
    """decoded() asks lab.data for the zones of job.base_url (the step before Spark runs anything)."""
    from lab import data

    asked = []

    def zones(base_url=None):
        asked.append(base_url)
        raise RuntimeError("stop here")

    monkeypatch.setattr(data, "zones", zones)
    monkeypatch.setattr(stream, "registry_url", lambda: "mock://x")
    with pytest.raises(RuntimeError, match="stop here"):
        stream.decoded(_Spark(), stream.Job(base_url="file:///elsewhere"))
    assert asked == ["file:///elsewhere"]


def _checkpoint(root: Path, name: str, topic: str, batches: int = 2) -> Path:
    """A checkpoint laid out as Spark 3.5 writes one for a Kafka source (initial offsets, offset log)."""
    cp = root / name
    (cp / "sources" / "0").mkdir(parents=True)
    (cp / "sources" / "0" / "0").write_bytes(b"\x00v1\n" + json.dumps({topic: {"0": 0, "1": 0}}).encode())
    (cp / "offsets").mkdir()
    for b in range(batches):
        meta = {
            "batchWatermarkMs": 0,
            "batchTimestampMs": 1700000000000 + b,
            "conf": {"spark.sql.shuffle.partitions": "2", "spark.sql.streaming.multipleWatermarkPolicy": "min"},
        }
        (cp / "offsets" / str(b)).write_text(f"v1\n{json.dumps(meta)}\n{json.dumps({topic: {'0': 10 * b, '1': 7}})}")
        (cp / "offsets" / f".{b}.crc").write_bytes(b"crc")
    (cp / "commits").mkdir()
    return cp


def test_a_recreated_topic_resets_only_the_checkpoints_that_read_it(tmp_path):
    mine = _checkpoint(tmp_path, "live_demo", "taxi-trips-live")
    other = _checkpoint(tmp_path, "trip_windows", "taxi-trips")
    empty = tmp_path / "never_ran"
    empty.mkdir()
    assert stream.source_topics(mine) == {"taxi-trips-live"} and stream.source_topics(empty) == set()
    assert stream.reset_topic("taxi-trips-live", tmp_path) == [mine]
    assert not mine.exists() and other.exists() and empty.exists()
    assert stream.reset_topic("taxi-trips-live", tmp_path / "no-such-root") == []


def test_skipped_offsets_are_counted_from_the_progress():
    def progress(start, end, rows):
        return {"sources": [{"startOffset": start, "endOffset": end, "numInputRows": rows}]}

    assert running.skipped_offsets(progress(None, {"t": {"0": 50}}, 50)) == {}  # first batch: nothing to compare
    assert running.skipped_offsets(progress({"t": {"0": 10}}, {"t": {"0": 50}}, 40)) == {}
    assert running.skipped_offsets(progress({"t": {"0": 300}}, {"t": {"0": 100}}, 0)) == {"t": 100}  # recreated
    as_text = progress(json.dumps({"t": {"0": 10}}), json.dumps({"t": {"0": 50}}), 15)  # as pyspark's objects hold it
    assert running.skipped_offsets(as_text) == {"t": 25}  # aged out by retention


def test_the_exporter_counts_and_logs_skipped_offsets(caplog):
    class P:  # the attributes of a pyspark StreamingQueryProgress the exporter reads
        name, id, batchId, numInputRows, inputRowsPerSecond, processedRowsPerSecond, batchDuration = (
            "q_skip",
            "id",
            7,
            0,
            0.0,
            0.0,
            10,
        )
        stateOperators, eventTime = [], {}

        sources: list = []

    src = type(
        "Src",
        (),
        {
            "startOffset": '{"t":{"0":300}}',
            "endOffset": '{"t":{"0":100}}',
            "latestOffset": None,
            "numInputRows": 0,
            "metrics": {},
        },
    )()
    P.sources = [src]
    m = metrics.SparkMetrics(port=0)
    with caplog.at_level("WARNING", logger="lab.metrics"):
        m.progress(P)
    labels = {"query": "q_skip", "topic": "t"}
    assert m.registry.get_sample_value("lab_spark_source_offsets_skipped_total", labels) == 100
    assert any("SKIPPED 100 offsets of topic t" in r.getMessage() for r in caplog.records)


SPARK_DATA_LOSS = (
    "[KAFKA_DATA_LOSS.PARTITION_OFFSET_CHANGED] Some data may have been lost because they are not "
    "available in Kafka any more; either the data was aged out by Kafka or the topic may have been "
    "deleted before all the data in the topic was processed. If you want your streaming query to "
    "continue on such cases, set the source option failOnDataLoss to false.\n"
    "Partition t-0's offset was changed from 300 to 100."
)


def test_a_data_loss_failure_names_the_topic_and_what_to_do():
    err = running.failure("live_demo", "taxi-trips-live", RuntimeError(SPARK_DATA_LOSS))
    assert isinstance(err, DataLost) and isinstance(err, StreamError)
    text = str(err)
    assert "taxi-trips-live" in text and "live_demo" in text
    assert "--reset" in text and "allow_data_loss=True" in text and "300 to 100" in text
    other = running.failure("q", "t", RuntimeError("boom"))
    assert type(other) is StreamError and "boom" in str(other)
