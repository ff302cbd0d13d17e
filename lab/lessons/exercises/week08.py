"""Week 8 exercise checks: the kind deployment's manifests (rendered and validated offline)."""

from __future__ import annotations

import copy

from lab import config
from lab.deploy import kind, kube, manifests
from lab.errors import CheckFailed, ManifestError
from lab.lessons.exercises import expect

SCRAM_TEST = config.REPO_ROOT / "k8s" / "tests" / "kind-with-kafka-scram"


def check_object_count(service: str, count: int) -> str:
    """`count` is the number of rendered objects that belong to `service` (lab.kube.service_of)."""
    actual = sum(1 for d in kind.render() if kube.service_of(d) == service)
    expect(actual > 0, f"no rendered object belongs to {service!r}: try one of {', '.join(config.KIND_COMPONENTS)}")
    expect(count == actual, f"{count} is not it: filter lab.manifests.objects() on its 'service' column")
    return f"{service} has {actual} objects in the kind overlay"


def check_external_auth(answer: str) -> str:
    """`answer` is the authentication type of the external listener once the kafka-scram component is on."""
    kafka = next(d for d in kind.render(path=SCRAM_TEST) if d["kind"] == "Kafka")
    actual = next(x for x in kafka["spec"]["kafka"]["listeners"] if x["name"] == "external")["authentication"]["type"]
    expect(
        isinstance(answer, str) and answer.strip().lower() == actual,
        f"{answer!r} is not what the component sets: render {SCRAM_TEST.relative_to(config.REPO_ROOT)} "
        "and look at spec.kafka.listeners",
    )
    return f"the external listener asks for {actual}; the in-cluster 'plain' listener stays open"


def broken_kafka() -> dict:
    """The lab's Kafka resource with one misspelled field, for the validation exercise."""
    kafka = copy.deepcopy(next(d for d in kind.render() if d["kind"] == "Kafka"))
    kafka["spec"]["kafka"]["confg"] = kafka["spec"]["kafka"].pop("config")
    return kafka


def check_typo(field_path: str) -> str:
    """`field_path` is the unknown field lab.manifests.validate reports for broken_kafka()."""
    expect(bool(field_path), "run lab.manifests.validate([lab.exercises.week08.broken_kafka()]) and read the problems")
    try:
        crd = manifests.crd_schemas()["Kafka"]
    except ManifestError as exc:  # off the build machines: the CRDs are a download away, not a crash
        raise CheckFailed(f"cannot check without Strimzi's CRD schemas: {exc}") from None
    unknown = manifests.unknown_fields(broken_kafka(), crd)
    expect(
        field_path.strip() in unknown,
        f"{field_path!r} is not the unknown field (the message names it with a leading '.')",
    )
    return f"{field_path} would be silently dropped by the API server: only a schema check finds it"


def check_overlay(write, folder, name: str, partitions: int) -> str:
    """The learner's `write(folder)` makes a kustomization that renders the whole kind overlay plus a KafkaTopic
    `name` with `partitions`, in namespace kappa, for our Kafka cluster, valid against Strimzi's CRD."""
    from pathlib import Path

    folder = Path(folder)
    write(folder)
    expect((folder / "kustomization.yaml").is_file(), f"write {folder / 'kustomization.yaml'}")
    try:
        docs = kind.render(path=folder)
    except ManifestError as exc:
        raise CheckFailed(f"kubectl kustomize {folder} fails: {str(exc).splitlines()[0][:400]}") from None
    topics = [d for d in docs if d.get("kind") == "KafkaTopic" and d.get("metadata", {}).get("name") == name]
    expect(topics, f"no KafkaTopic named {name!r} in what {folder} renders: list your topic file under resources")
    (topic,) = topics
    meta, spec = topic["metadata"], topic.get("spec", {})
    expect(
        meta.get("namespace") == config.NAMESPACE,
        f"the topic's namespace is {meta.get('namespace')!r}: Strimzi's operator only watches {config.NAMESPACE!r} "
        "(set `namespace:` in your kustomization)",
    )
    cluster = meta.get("labels", {}).get("strimzi.io/cluster")
    expect(
        cluster == config.KAFKA_CLUSTER,
        f"label strimzi.io/cluster is {cluster!r}: the topic operator ignores topics not labelled with its cluster "
        f"({config.KAFKA_CLUSTER!r})",
    )
    expect(spec.get("partitions") == partitions, f"partitions is {spec.get('partitions')!r}, expected {partitions}")
    overlay = {(d["kind"], d["metadata"]["name"]) for d in kind.render()}
    missing = overlay - {(d["kind"], d["metadata"]["name"]) for d in docs}
    expect(not missing, f"the kind overlay is not included ({len(missing)} of its objects missing): add its folder")
    problems = manifests.validate([topic])
    expect(not problems, f"the topic does not validate: {problems[:3]}")
    return f"{len(docs)} objects render from {folder.name}: the kind overlay and your {name} ({partitions} partitions)"
