"""The streaming job's settings without Spark: the Kafka source's options, the CLI, checkpoints of a recreated topic."""
from __future__ import annotations

import pytest

from lab import cli, stream


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


def test_lab_stream_takes_base_url_like_lab_produce():
    args = cli.build_parser().parse_args(["stream", "--base-url", "file:///somewhere/tlc"])
    assert stream.job_from_args(args).base_url == "file:///somewhere/tlc"
    assert stream.job_from_args(cli.build_parser().parse_args(["stream"])).base_url is None
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
