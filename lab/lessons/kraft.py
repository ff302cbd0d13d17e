"""Week 1: the KRaft broker up close — cluster metadata, the controller quorum, keyed partitions, groups and offsets."""

from __future__ import annotations

import re
import subprocess
import uuid
from dataclasses import dataclass

from lab import config
from lab.deploy import kube
from lab.errors import LabError
from lab.pipeline import topics
from lab.services import artifacts, kafka, target


def _conf(**extra) -> dict:
    return {"bootstrap.servers": kafka.bootstrap_servers(), **extra}


def describe_cluster(timeout: float = 10.0) -> dict:
    """Cluster id, the active controller and the broker nodes, as the AdminClient sees them."""
    result = kafka.admin().describe_cluster(request_timeout=timeout).result(timeout)
    return {
        "cluster_id": result.cluster_id,
        "controller": f"node {result.controller.id} at {result.controller.host}:{result.controller.port}"
        if result.controller
        else None,
        "nodes": [f"node {n.id} at {n.host}:{n.port}" for n in result.nodes],
    }


def quorum() -> list[dict]:
    """The KRaft quorum as the target shows it, one row per fact: on the local target `quorum_status()` (Kafka's own
    tool); on kind the Strimzi resources whose status reports the KRaft node pools (lab.kube.strimzi_resources)."""
    if target.current().local:
        return [{"field": k, "value": v} for k, v in quorum_status().items()]
    return kube.strimzi_resources()


def quorum_status() -> dict:
    """`kafka-metadata-quorum describe --status` (the KRaft Raft quorum: leader, epoch, high watermark, voters).

    Runs Kafka's own tool from the resolved jars on the local target.
    """
    target.current().require_local(
        "quorum_status() runs Kafka's CLI from the local jars; on kind use lab.kube.strimzi_resources()"
    )

    proc = subprocess.run(
        [
            artifacts.java_bin(),
            "-cp",
            artifacts.classpath("kafka"),
            "org.apache.kafka.tools.MetadataQuorumCommand",
            "--bootstrap-server",
            kafka.bootstrap_servers(),
            "describe",
            "--status",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode != 0:
        raise LabError(f"kafka-metadata-quorum failed: {proc.stderr.strip()[-500:]}")
    out = {}
    for line in proc.stdout.splitlines():
        m = re.match(r"^(\w+):\s+(.*)$", line.strip())
        if m:
            out[m.group(1)] = m.group(2)
    return out


@dataclass
class Delivered:
    """Where one produced message landed."""

    key: str | None
    value: str
    partition: int
    offset: int


def produce_strings(
    topic: str, values: list[str], key: str | None = None, keys: list[str] | None = None
) -> list[Delivered]:
    """Produce UTF-8 strings (one key for all, or one key per value) and return each delivery report."""
    from confluent_kafka import Producer

    producer = Producer(_conf(**{"enable.idempotence": True, "acks": "all"}))
    out: list[Delivered] = []
    errors: list[str] = []

    def report(err, msg):
        if err:
            errors.append(str(err))
        else:
            k = msg.key().decode() if msg.key() is not None else None
            out.append(Delivered(k, msg.value().decode(), msg.partition(), msg.offset()))

    for i, value in enumerate(values):
        k = keys[i] if keys else key
        producer.produce(topic, value=value.encode(), key=k.encode() if k is not None else None, on_delivery=report)
        producer.poll(0)
    left = producer.flush(30)
    if errors or left:
        raise LabError(f"{len(errors)} deliveries failed ({errors[:3]}), {left} still queued")
    return out


def consume(
    topic: str, group: str | None = None, max_messages: int = 1000, timeout: float = 20.0, commit: bool = True
) -> list[Delivered]:
    """Read from the earliest offset with a consumer group until `max_messages` or the end of every partition."""
    from confluent_kafka import Consumer, KafkaError

    group = group or f"lab-{uuid.uuid4().hex[:8]}"
    consumer = Consumer(
        _conf(
            **{
                "group.id": group,
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
                "enable.partition.eof": True,
            }
        )
    )
    consumer.subscribe([topic])
    out: list[Delivered] = []
    at_end: set[int] = set()
    import time

    deadline = time.monotonic() + timeout
    try:
        while len(out) < max_messages and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    at_end.add(msg.partition())
                    assigned = {tp.partition for tp in consumer.assignment()}
                    if assigned and at_end >= assigned:
                        break
                    continue
                raise LabError(f"consumer error: {msg.error()}")
            k = msg.key().decode() if msg.key() is not None else None
            out.append(Delivered(k, msg.value().decode(errors="replace"), msg.partition(), msg.offset()))
        if commit and out:
            consumer.commit(asynchronous=False)
    finally:
        consumer.close()
    return out


def committed_offsets(topic: str, group: str, timeout: float = 10.0) -> dict[int, int]:
    """The group's committed offset per partition (-1001 = nothing committed)."""
    from confluent_kafka import Consumer, TopicPartition

    n = topics.partitions_of(topic)
    consumer = Consumer(_conf(**{"group.id": group, "enable.auto.commit": False}))
    try:
        tps = consumer.committed([TopicPartition(topic, p) for p in range(n)], timeout=timeout)
    finally:
        consumer.close()
    return {tp.partition: tp.offset for tp in tps}


def metadata_log_dir():
    """The folder of the KRaft metadata log (__cluster_metadata-0) on the local target."""
    from pathlib import Path

    hits = sorted(Path(config.lab_home()).glob("**/__cluster_metadata-0"))
    if not hits:
        raise LabError("no __cluster_metadata-0 folder under LAB_HOME: is the local broker formatted and running?")
    return hits[0]
