"""Shortcut: the lab's tuned producer, its report turned into the counts."""

import lab

EXERCISE = "producer"
EXPECT = "❌"
KEYWORDS = ("lab.produce.produce_frame", "client API")


def producer_settings(conf):
    return {**conf, "enable.idempotence": True, "acks": "all", "compression.type": "lz4"}


def produce_trips(conf, registry_url, accepted, rejected, topic, dlq):
    report = lab.produce.produce_frame(accepted, rejected, topic=topic, dlq=dlq, progress=False)
    return {"delivered": report.delivered, "failed": report.failed, "dlq": report.dlq_delivered}
