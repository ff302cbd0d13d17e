"""Right, written differently: acks=-1 and idempotence as strings, bytes keys, a class for the callback, and a
consumer that reads in batches with consume() and commits explicit offsets."""

import time

from confluent_kafka import Consumer, Producer, TopicPartition

EXERCISE = "round_trip"
EXPECT = "✅"
KEYWORDS = ("order kept per key",)


class Deliveries(list):
    def __call__(self, err, msg):
        if err is None:
            self.append((msg.key().decode("utf-8"), msg.partition(), msg.offset()))


def produce_keyed(conf, topic, records):
    report = Deliveries()
    producer = Producer(dict(conf, **{"acks": "-1", "enable.idempotence": "true", "linger.ms": 5}))
    for key, value in records:
        producer.produce(topic, value.encode("utf-8"), key.encode("utf-8"), callback=report)
    remaining = producer.flush(20)
    assert remaining == 0
    return report


def consume_all(conf, topic, group, n, timeout_s=30):
    consumer = Consumer({**conf, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": "false"})
    consumer.subscribe([topic])
    got, last = [], {}
    deadline = time.monotonic() + timeout_s
    while len(got) < n and time.monotonic() < deadline:
        for msg in consumer.consume(num_messages=10, timeout=1.0):
            if not msg.error():
                got.append((msg.key().decode(), msg.value().decode(), msg.partition(), msg.offset()))
                last[msg.partition()] = msg.offset()
    consumer.commit(offsets=[TopicPartition(topic, p, o + 1) for p, o in last.items()], asynchronous=False)
    consumer.close()
    return got
