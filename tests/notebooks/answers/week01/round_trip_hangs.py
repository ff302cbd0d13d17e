"""Hangs: the consumer waits for one message more than there is, with no deadline."""

from confluent_kafka import Consumer, Producer

EXERCISE = "round_trip"
EXPECT = "❌"
KEYWORDS = ("consume_all", "did not return within")
TIMEOUT_S = 4


def produce_keyed(conf, topic, records):
    out = []
    producer = Producer({**conf, "acks": "all", "enable.idempotence": True})
    for key, value in records:
        producer.produce(
            topic,
            key=key,
            value=value,
            on_delivery=lambda e, m: out.append((m.key().decode(), m.partition(), m.offset())),
        )
    producer.flush(30)
    return out


def consume_all(conf, topic, group, n, timeout_s=30):
    consumer = Consumer({**conf, "group.id": group, "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    got = []
    while len(got) <= n:  # one too many: never true
        msg = consumer.poll(1.0)
        if msg is not None and not msg.error():
            got.append((msg.key().decode(), msg.value().decode(), msg.partition(), msg.offset()))
    return got
