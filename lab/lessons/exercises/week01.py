"""Week 1 exercise checks: a topic made with the AdminClient, a keyed round trip, commits and a group's lag; and a
kubectl command line that reads the practice Kubernetes cluster (lab.lessons.cluster).

Each check runs the learner's function against the real broker and then asks the broker itself (metadata,
configs, offsets) whether it happened, never the function's own return value alone.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable

from lab.errors import CheckFailed
from lab.lessons import cluster, kraft
from lab.lessons.exercises import call, expect, learner
from lab.pipeline import topics
from lab.wait import until

TOPIC_CONFIG = {"retention.ms": "3600000", "cleanup.policy": "delete"}


def _conf() -> dict:
    from lab.services import kafka

    return {"bootstrap.servers": kafka.bootstrap_servers()}


def _fresh(topic: str, partitions: int) -> None:
    topics.delete_topics([topic])
    topics.create(topic, partitions)


PRODUCE_SHORTCUTS = ("lab.kraft.*", "lab.produce.*", "lab.topics.*")
CLIENT_HINT = "confluent_kafka: Producer, Consumer, AdminClient"


def check_create_topic(create_topic: Callable, admin, topic: str, partitions: int = 4) -> str:
    """`create_topic(admin, name, partitions, config)` makes a topic the broker reports with that partition count
    and config."""
    topics.delete_topics([topic])
    call(create_topic, admin, topic, partitions, dict(TOPIC_CONFIG), refuse=PRODUCE_SHORTCUTS, hint=CLIENT_HINT)
    n = until(lambda: topics.partitions_of(topic), service=f"topic {topic}", timeout=30)
    expect(n == partitions, f"the broker reports {n} partitions for {topic!r}, not {partitions}: pass num_partitions")
    configs = topics.describe(topic)["config"]
    wrong = {k: configs.get(k) for k, v in TOPIC_CONFIG.items() if configs.get(k) != v}
    expect(not wrong, f"the topic's own config has {wrong}, expected {TOPIC_CONFIG}: pass config= to NewTopic")
    return f"{topic}: {n} partitions, retention.ms={configs['retention.ms']} (read back from the broker)"


def round_trip_records(n: int = 30, keys: int = 6) -> list[tuple[str, str]]:
    """The (key, value) pairs the round-trip check produces: `keys` zones, values numbered in produce order."""
    return [(f"zone-{i % keys}", f"trip {i}") for i in range(n)]


def _lab_consume_all(conf: dict, topic: str, group: str, n: int, timeout_s: float = 30) -> list[tuple]:
    """The lab's version of the `consume_all` exercise (for a check that needs it when the learner's is missing)."""
    return [
        (d.key, d.value, d.partition, d.offset) for d in kraft.consume(topic, group, max_messages=n, timeout=timeout_s)
    ]


def check_round_trip(produce_keyed: Callable, consume_all: Callable, topic: str, group: str, n: int = 30) -> str:
    """The learner's producer — idempotent, acks=all, the *key* choosing the partition — delivers every record once;
    their consumer reads them back in per-key order and commits, so the group's committed offsets reach the end of
    every partition that holds records. The producer is judged by the config it was built with, not by its return."""
    _fresh(topic, 3)
    records = round_trip_records(n)
    with learner.recording_producers(produce_keyed) as producers:
        delivered = call(produce_keyed, _conf(), topic, records, refuse=PRODUCE_SHORTCUTS, hint=CLIENT_HINT)
    problems = learner.producer_problems(producers, topic)
    expect(not problems, "; ".join(problems))
    forced = sorted(set().union(*(r.forced_partitions for r in producers if topic in r.topics)))
    expect(
        not forced,
        f"your producer chose partition(s) {forced} itself: leave `partition` out, so the key decides where a record "
        "lands (same key → same partition, different keys spread)",
    )
    expect(
        delivered is not None and len(delivered) == n,
        f"{len(delivered or [])} delivery reports for {n} records: append one per successful delivery, then flush",
    )
    in_topic = topics.partition_counts(topic)
    held = sum(in_topic.values())
    expect(
        held == n,
        f"the broker holds {held} messages in {topic}, not {n}: "
        + ("produce each record once (a retry without idempotence duplicates)" if held > n else "flush at the end"),
    )
    where: dict[str, set[int]] = {}
    for key, partition, _offset in delivered:
        where.setdefault(key.decode() if isinstance(key, bytes) else key, set()).add(partition)
    split = {k: sorted(p) for k, p in where.items() if len(p) > 1}
    expect(
        not split and set(where) == {k for k, _ in records},
        f"the key must decide the partition: keys seen {split or sorted(map(str, where))} (produce with key=…)",
    )
    used = {p for p, c in in_topic.items() if c}
    expect(
        len(used) > 1,
        f"all {n} records with {len(where)} different keys are in partition {sorted(used)}: the key must decide the "
        "partition (no `partition=`, no partitioner that ignores the key)",
    )
    got = call(consume_all, _conf(), topic, group, n, refuse=(*PRODUCE_SHORTCUTS, "lab.topics.peek"), hint=CLIENT_HINT)
    expect(got is not None and len(got) == n, f"your consumer returned {len(got or [])} messages of {n}")
    expect(
        sorted(str(v) for _k, v, _p, _o in got) == sorted(v for _k, v in records),
        "the values read differ from those produced (decode the bytes with .decode())",
    )
    for key in where:
        order = [int(str(v).split()[1]) for k, v, _p, _o in got if k == key]
        expect(order == sorted(order), f"key {key!r} came back out of order: {order[:6]}")
        expect({p for k, _v, p, _o in got if k == key} == where[key], f"key {key!r} was read from another partition")
    committed = {p: o for p, o in kraft.committed_offsets(topic, group).items() if p in used}
    ends = {p: c for p, c in in_topic.items() if p in used}  # a fresh topic: the end offset is the message count
    expect(
        committed == ends,
        f"the group committed {committed}, the partitions end at {ends}: commit after reading (commit(asynchronous="
        "False) before close())",
    )
    return f"{n} records, {len(where)} keys in {len(used)} partitions, order kept per key; committed {committed}"


def _produce_to(topic: str, counts: dict[int, int], start: int = 0) -> None:
    """The check's own input: `counts[p]` strings into partition p (chosen here on purpose, not by a key)."""
    from confluent_kafka import Producer

    producer = Producer({**_conf(), "enable.idempotence": True})
    i = start
    for partition, count in counts.items():
        for _ in range(count):
            producer.produce(topic, key=f"k{i % 5}".encode(), value=f"event {i}".encode(), partition=partition)
            i += 1
    producer.flush(30)


def check_lag(consume_all: Callable, group_lag: Callable, topic: str, group: str, read: int = 15, n: int = 40) -> str:
    """After a consumer in the group read and committed `read` of `n` messages, and more arrived (also in a partition
    the group never read), the learner's `group_lag` equals the broker's end offsets minus the group's committed
    offsets, per partition. Gradable alone: without the learner's `consume_all`, the lab's reads."""
    _fresh(topic, 4)
    first = {0: n // 2, 1: n // 4, 2: n - n // 2 - n // 4}  # partition 3 stays empty until after the read
    _produce_to(topic, first)
    consume = learner.fallback(consume_all, _lab_consume_all, "consume_all (the round trip's consumer)")
    got = consume(_conf(), topic, group, read)
    expect(got is not None and len(got) == read, f"consume_all returned {len(got or [])} messages, asked for {read}")
    committed = kraft.committed_offsets(topic, group)
    expect(
        sum(o for o in committed.values() if o >= 0) == read,
        f"the group committed {committed}: that is not the {read} messages read (commit once, after reading)",
    )
    _produce_to(topic, {3: 4, 0: 2}, start=n)  # news: partition 3 has nothing committed, its whole log is lag
    ends = topics.partition_counts(topic)  # a fresh topic: the end offset is the message count
    want = {p: hi - max(committed.get(p, -1), 0) for p, hi in ends.items()}
    lag = call(group_lag, _conf(), topic, group, refuse=PRODUCE_SHORTCUTS, hint=CLIENT_HINT)
    try:
        mine = {int(p): int(v) for p, v in lag.items()}
    except (AttributeError, TypeError, ValueError):
        mine = None
    expect(
        mine == want,
        f"your lag {lag} differs from the broker's end − committed {want} (a partition with nothing committed "
        "lags by all its messages, from its low watermark)",
    )
    return f"lag {want}: {sum(want.values())} messages still to read, as the broker sees it"


def check_same_partition(deliveries, topic: str, count: int) -> str:
    """`count` messages, all with one key, were produced into `topic`, and the broker holds them in one partition."""
    expect(deliveries, "produce the messages first: `deliveries` is empty")
    expect(len(deliveries) == count, f"{len(deliveries)} delivery reports, the exercise asks for {count} messages")
    keys = {d.key for d in deliveries}
    expect(
        len(keys) == 1 and None not in keys,
        f"use one non-empty key for all messages (saw keys {sorted(map(str, keys))[:5]})",
    )
    parts = {d.partition for d in deliveries}
    expect(len(parts) == 1, f"messages spread over partitions {sorted(parts)}")
    in_topic = {p: c for p, c in topics.partition_counts(topic).items() if c}
    expect(
        in_topic == {next(iter(parts)): count},
        f"{topic} holds {in_topic or 'nothing'} (partition: messages); expected all {count} in partition "
        f"{next(iter(parts))}: "
        "produce into this topic, once",
    )
    return (
        f"all {count} messages with key {keys.pop()!r} are in partition {parts.pop()}: same key, same partition, "
        "order kept"
    )


# --- kubectl: read the cluster the broker will live on (judged by the practice cluster's API server) -------------

LOOKUP_REPLICAS = 3
DECOY = "web-canary"  # a second Deployment in the namespace: a command without web's label selector prints its pod too
READ_ONLY_VERBS = ("get", "describe", "explain", "top", "events", "api-resources", "api-versions", "version")
_VALUE_FLAGS = {  # kubectl flags whose value is the next word (unless written --flag=value)
    "-n", "--namespace", "-l", "--selector", "-o", "--output", "--field-selector", "--sort-by", "--template",
    "-L", "--label-columns", "-c", "--container", "-f", "--filename", "-k", "--kustomize", "--chunk-size",
    "--context", "--kubeconfig", "--cluster", "--user", "-s", "--server", "--token", "--as", "--as-group",
    "--request-timeout", "--output-watch-events", "--show-managed-fields", "--subresource",
}  # fmt: skip
_CLUSTER_FLAGS = ("--context", "--kubeconfig", "--cluster", "--user", "-s", "--server", "--token")


def _read_command(line: str) -> dict:
    """A kubectl command line's verb, the namespaces it names (-n / --namespace), whether it asks for all namespaces,
    and the flags that pick another cluster."""
    try:
        argv = shlex.split(line)
    except ValueError as exc:
        raise CheckFailed(f"cannot read {line!r} as a command line ({exc}): check its quotes") from None
    expect(argv and argv[0] == "kubectl", f"{line!r} is not a kubectl command line: start it with `kubectl`")
    verb, namespaces, everywhere, other_cluster = None, [], False, []
    i = 1
    while i < len(argv):
        word = argv[i]
        if word.startswith("--") or word in _VALUE_FLAGS or word in ("-A",):
            flag, eq, value = word.partition("=")
            if flag == "--all-namespaces" or flag == "-A":
                everywhere = value.lower() != "false"
            elif flag in _VALUE_FLAGS and not eq:
                value, i = (argv[i + 1] if i + 1 < len(argv) else ""), i + 1
            if flag in ("-n", "--namespace"):
                namespaces.append(value)
            if flag in _CLUSTER_FLAGS:
                other_cluster.append(flag)
        elif word.startswith("-") and len(word) > 2:  # a short flag with its value attached: -nweb, -n=web, -owide
            if word[:2] == "-n":
                namespaces.append(word[2:].lstrip("="))
        elif not word.startswith("-") and verb is None:
            verb = word
        i += 1
    return {"verb": verb, "namespaces": namespaces, "everywhere": everywhere, "other_cluster": other_cluster}


def lookup_practice(where: cluster.Cluster, namespace: str) -> dict[str, str]:
    """Deployment web (3 replicas) and the decoy web-canary (1) in `namespace`, available; returns web's pods as the
    API server has them: {pod name: node name}."""
    web = cluster.deploy(where, namespace, {cluster.PRACTICE_DEPLOYMENT: LOOKUP_REPLICAS, DECOY: 1})["web"]
    selector = ",".join(f"{k}={v}" for k, v in web["spec"]["selector"]["matchLabels"].items())
    pods = where.api.core.list_namespaced_pod(namespace, label_selector=selector).items
    return {p.metadata.name: p.spec.node_name for p in pods if not p.metadata.deletion_timestamp}


def check_kubectl_lookup(lookup: Callable, namespace: str | None = None, where: cluster.Cluster | None = None) -> str:
    """`lookup(namespace)` returns one read-only kubectl command line that prints, for each pod of Deployment web in
    `namespace`, its name and its node — one pod a line, two columns, nothing else. The check makes a fresh namespace,
    asks for the command, then creates web and the decoy web-canary there (pod names no answer can know beforehand),
    runs the command against the practice cluster and compares what it printed with what the API server says."""
    where = where or cluster.checked_cluster()
    namespace = namespace or cluster.exercise_namespace("w01-lookup", where)
    line = call(lookup, namespace, refuse=("lab.cluster.*",), hint="one kubectl command line: kubectl get …")
    expect(isinstance(line, str) and line.strip(), f"kubectl_lookup(namespace) returns one command line (a str), "
           f"not {type(line).__name__}")  # fmt: skip
    command = _read_command(line)
    verb = command["verb"]
    expect(verb in READ_ONLY_VERBS,
           (f"`kubectl {verb}` can change the cluster" if verb else f"{line!r} has no kubectl command")
           + f": this exercise only reads it — use a read-only verb ({', '.join(READ_ONLY_VERBS[:3])}, …)")  # fmt: skip
    expect(not command["other_cluster"], f"drop {', '.join(command['other_cluster'])}: the check runs your command "
           "against the practice cluster (its kubeconfig and context are added for you)")  # fmt: skip
    expect(not command["everywhere"], "-A / --all-namespaces reads every namespace: read only the one your function "
           f"is given (-n {namespace})")  # fmt: skip
    others = [n for n in command["namespaces"] if n != namespace]
    if others:
        raise CheckFailed(f"your command reads namespace {others[0]!r}, not the one your function is given "
                          f"({namespace!r}, new at each run): use -n with the `namespace` argument")  # fmt: skip
    expect(command["namespaces"], f"no -n: kubectl reads the kubeconfig's default namespace, not {namespace!r} — "
           "add -n with the `namespace` argument")  # fmt: skip
    truth = lookup_practice(where, namespace)  # made after your function returned: its pods' names are new
    try:
        printed = cluster.kubectl(line, where)
    except CheckFailed as exc:
        if "NotFound" in str(exc):
            raise CheckFailed(f"{exc} — the check's objects are new at each run: select web's pods by their label, "
                              "do not name them") from None  # fmt: skip
        raise
    rows = [r.split() for r in printed.strip().splitlines() if r.strip()]
    expect(rows, f"`{line}` printed nothing: no pod matched (is the label selector web's? kubectl -n {namespace} "
           "describe deployment web shows it)")  # fmt: skip
    if all(w.isupper() for w in rows[0]) and rows[0][0] not in truth:
        raise CheckFailed(f"the first line {' '.join(rows[0])!r} is a header: print only the pods (--no-headers)")
    odd = [r for r in rows if len(r) != 2]
    if odd:
        raise CheckFailed(f"the line {' '.join(odd[0])!r} is not `<pod> <node>`: print exactly two columns, the "
                          "pod's name and its node (-o custom-columns=… or -o jsonpath=…), one pod a line")  # fmt: skip
    got = dict(rows)
    decoys = sorted(p for p in got if p.startswith(DECOY + "-"))
    if decoys:
        raise CheckFailed(f"{decoys[0]} is a pod of Deployment {DECOY}, not of web: select web's pods by web's "
                          "label selector (-l …), not every pod of the namespace")  # fmt: skip
    strangers = sorted(set(got) - set(truth))
    if strangers:
        raise CheckFailed(f"{strangers[0]!r} is no pod of Deployment web in {namespace} (its pods: "
                          f"{', '.join(sorted(truth))}): is the first column the pod's name?")  # fmt: skip
    missing = sorted(set(truth) - set(got))
    if missing:
        raise CheckFailed(f"{len(missing)} of web's {len(truth)} pods missing ({missing[0]}…): print every pod of web")
    wrong = sorted(p for p in truth if got[p] != truth[p])
    if wrong:
        raise CheckFailed(f"pod {wrong[0]} runs on {truth[wrong[0]]}, not {got[wrong[0]]!r}: the second column is "
                          "the pod's node (.spec.nodeName)")  # fmt: skip
    nodes = sorted(set(truth.values()))
    return (f"your command names web's {len(truth)} pods and their node ({', '.join(nodes)}), and not {DECOY}'s, as "
            f"the API server says (on {where.name}, namespace {namespace})")  # fmt: skip
