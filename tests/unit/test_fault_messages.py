"""What a fault says, checked without the stack: a registry that does not answer or is still loading its schemas (a
fake registry on loopback), a worker's LabError inside Spark's error, a batch Cassandra did not take. The same faults
on the real stack are in tests/faults/test_faults.py."""

from __future__ import annotations

import pytest

from lab import config


def test_a_registry_that_does_not_answer_is_waited_for_then_a_clear_stop():
    """Decoding never quarantines a record because the registry is down: it waits (bounded), then says so."""
    import time

    from lab.errors import StreamError
    from lab.pipeline import decode

    lookup = decode.registry_lookup("http://127.0.0.1:9/apis/ccompat/v7", timeout=0.5, wait=2)
    t0 = time.monotonic()
    with pytest.raises(
        StreamError,
        match=r"did not answer for 2s while decoding schema id 7 .*nothing is lost.*"
        r"lab up schema_registry.*checkpoint",
    ):
        lookup(7)
    assert time.monotonic() - t0 >= 2


def test_a_registry_still_loading_its_schemas_is_waited_for_not_taken_at_its_404():
    """After a restart Apicurio answers 404 for ids it has (the newest last) while /health/ready says 503, until its
    journal is read back. A 404 is believed only once the registry is ready; a truly unknown id is still told apart."""
    import json
    import threading
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from lab.pipeline import decode

    schema = {"type": "record", "name": "T", "fields": [{"name": "a", "type": "long"}]}
    loaded_at = time.monotonic() + 2.5  # ids 1 and 2 exist; id 1 is read back at once, id 2 (newest) after 2.5 s
    health: list[int] = []

    class Registry(BaseHTTPRequestHandler):
        def do_GET(self):
            loaded = time.monotonic() >= loaded_at
            if self.path == "/health/ready":
                code, body = (200 if loaded else 503), {"status": "UP" if loaded else "DOWN"}
                health.append(code)
            else:
                sid = int(self.path.rsplit("/", 1)[1])
                known = sid == 1 or (sid == 2 and loaded)
                code, body = (200, {"schema": json.dumps(schema)}) if known else (404, {"error_code": 40403})
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Registry)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        lookup = decode.registry_lookup(url, timeout=2, wait=30, ready_url=url + "/health/ready")
        assert lookup(1) is not None
        assert lookup(2) is not None, "an id answered 404 while the registry loads must be waited for"
        assert time.monotonic() >= loaded_at and 503 in health
        assert lookup(3) is None, "an id the loaded registry does not have is unknown (quarantined)"
    finally:
        server.shutdown()


def test_a_workers_lab_error_comes_first_in_the_stream_error():
    from lab.pipeline import running

    spark_text = (
        "org.apache.spark.SparkException: Job aborted\n"
        + "  at x.y(Z.java:1)\n" * 200
        + "lab.errors.StreamError: schema registry at http://h did not answer\n  at more"
    )
    assert running.why(spark_text).startswith("schema registry at http://h did not answer\n--- Spark's error ---")
    assert running.why("plain failure") == "plain failure"


def test_a_batch_cassandra_did_not_take_is_a_clear_stream_error():
    """The connector's failure arrives as py4j text; the job's error names Cassandra, the Java cause and what to do."""
    from lab.pipeline import sink

    py4j = (
        "An error occurred while calling o1118.save.\n: java.io.IOException: Failed to open native connection "
        "to Cassandra at {127.0.0.1:9042}\n\tat com.datastax.Foo.bar(Foo.scala:1)\n" * 3
    )
    msg = str(sink.write_failed(4, Exception(py4j)))
    assert msg.startswith(
        f"writing micro-batch 4 to Cassandra at 127.0.0.1:{config.ports().cassandra_cql} failed "
        "(java.io.IOException: Failed to open native connection"
    )
    assert "nothing is lost" in msg and "resumes from its checkpoint" in msg and "\tat " not in msg
