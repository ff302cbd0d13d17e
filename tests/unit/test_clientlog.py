"""librdkafka's log through Python logging, with a real client and no broker (nothing listens on the port)."""

from __future__ import annotations

import io
import socket

from confluent_kafka import Producer

from lab import config
from lab.services import clientlog


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_broker_is_said_once_and_logged_to_the_lab_log(tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("LAB_HOME", str(tmp_path))
    port = _closed_port()
    conf = {
        "bootstrap.servers": f"127.0.0.1:{port}",
        "message.timeout.ms": 4000,
        "reconnect.backoff.ms": 50,
        "reconnect.backoff.max.ms": 100,
    }
    said = io.StringIO()
    producer = Producer({**conf, "logger": clientlog.client_logger("producer", conf, stream=said)})
    for i in range(50):
        producer.produce("nowhere", b"v%d" % i)
    left = producer.flush(10)  # messages time out after 4 s: librdkafka retried meanwhile, and logged each try
    assert left == 0
    out, err = capfd.readouterr()
    assert "%3|" not in out + err and "FAIL" not in out + err, "nothing of librdkafka's on the console"
    assert said.getvalue() == (
        f"producer: broker unreachable at 127.0.0.1:{port}, retrying for up to 4 s "
        f"(librdkafka's log: {config.log_file()})\n"
    )
    log = config.log_file().read_text()
    assert config.log_file() == tmp_path / "logs" / "lab.log"
    assert log.count("Connection refused") >= 2, "every failed connect is in the lab's log"


def test_the_announced_wait_is_the_clients_message_timeout():
    default = clientlog.client_logger("p", {})
    assert [h.retry_s for h in default.handlers] == [300.0]
    assert [h.retry_s for h in clientlog.client_logger("p", {"delivery.timeout.ms": 20000}).handlers] == [20.0]
