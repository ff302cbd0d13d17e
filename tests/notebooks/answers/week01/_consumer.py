"""A right consume_all the round-trip answers share (the producer is what they differ in)."""

import time

from confluent_kafka import Consumer


def consume_all(conf, topic, group, n, timeout_s=30):
    consumer = Consumer({**conf, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    got, deadline = [], time.monotonic() + timeout_s
    try:
        while len(got) < n and time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is None or msg.error():
                continue
            got.append((msg.key().decode(), msg.value().decode(), msg.partition(), msg.offset()))
        consumer.commit(asynchronous=False)
    finally:
        consumer.close()
    return got
