"""Week 8 exercise checks: the kind deployment's manifests (rendered and validated offline), and the platform half
the learner builds (Cassandra's StatefulSet, the producer's image and Job, an overlay patch, kubectl) judged by a real
API server: the lab's control plane on target local, the learner's kind cluster on target kind."""

from __future__ import annotations

import copy
import secrets

from lab import config
from lab.deploy import kind, kube, manifests
from lab.errors import CheckFailed, LabError, ManifestError
from lab.lessons.cluster import (  # noqa: F401 - practice_cluster, stop_practice_cluster, drop_namespace: the names
    PRACTICE_DEPLOYMENT,  # weeks 08 and 09 used as lab.exercises.week08.*, kept working
    Cluster,
    checked_cluster,
    drop_namespace,
    exercise_namespace,
    kubectl,
    kubectl_practice,
    practice_cluster,
    stop_practice_cluster,
    wait,
)
from lab.lessons.exercises import expect
from lab.services import target

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


def check_overlay(
    write, folder, name: str, partitions: int, cpu: str = "100m", memory: str = "1Gi", cluster=None, namespace=None
) -> str:
    """The learner's `write(folder)` makes a kustomization that renders the whole kind overlay plus a KafkaTopic
    `name` with `partitions`, in namespace kappa, for our Kafka cluster, valid against Strimzi's CRD, and patches the
    cassandra StatefulSet's container to request `cpu` and `memory` (nothing else changed); the patched StatefulSet
    goes to the practice cluster's API server (a server-side dry run) for its verdict."""
    from pathlib import Path

    from kubernetes.utils import parse_quantity

    folder = Path(folder)
    _call(lambda: write(folder), "your write_overlay()")
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
    cluster_label = meta.get("labels", {}).get("strimzi.io/cluster")
    expect(
        cluster_label == config.KAFKA_CLUSTER,
        f"label strimzi.io/cluster is {cluster_label!r}: the topic operator ignores topics not labelled with its "
        f"cluster ({config.KAFKA_CLUSTER!r})",
    )
    expect(spec.get("partitions") == partitions, f"partitions is {spec.get('partitions')!r}, expected {partitions}")
    base_docs = _base_render()
    overlay = {(d["kind"], d["metadata"]["name"]) for d in base_docs}
    missing = overlay - {(d["kind"], d["metadata"]["name"]) for d in docs}
    expect(not missing, f"the kind overlay is not included ({len(missing)} of its objects missing): add its folder")
    problems = manifests.validate([topic])
    expect(not problems, f"the topic does not validate: {problems[:3]}")

    def cassandra(objs):
        sts = next(d for d in objs if d["kind"] == "StatefulSet" and d["metadata"]["name"] == "cassandra")
        return sts, next(c for c in _containers(sts) if c.get("name") == "cassandra")

    (sts, container), (base_sts, base_container) = cassandra(docs), cassandra(base_docs)
    requests = (container.get("resources") or {}).get("requests") or {}

    def same(a, b) -> bool:
        try:
            return a is not None and parse_quantity(str(a)) == parse_quantity(str(b))
        except ValueError:
            return False

    expect(
        same(requests.get("cpu"), cpu) and same(requests.get("memory"), memory),
        f"cassandra's container requests {requests}: patch the StatefulSet cassandra (a `patches:` entry) so it "
        f"requests cpu {cpu} and memory {memory}",
    )
    lost = [k for k in base_container if k not in container]
    expect(not lost, f"your patch replaced cassandra's container: its {', '.join(lost)} are gone — a strategic merge "
           "patch names the container and lists only the fields it changes")  # fmt: skip
    cluster = cluster or checked_cluster()
    namespace = namespace or exercise_namespace("w08-overlay", cluster)
    _apply(cluster, [sts], namespace, dry_run=True)
    unpatched = copy.deepcopy(sts)
    cassandra([unpatched])[1]["resources"]["requests"] = base_container["resources"]["requests"]
    changed = sorted(_diff(base_sts, unpatched))
    expect(not changed, f"your patch changes more than the requests: {', '.join(changed[:4])}")
    return (
        f"{len(docs)} objects render from {folder.name}: the kind overlay, your {name} ({partitions} partitions) and "
        f"cassandra requesting {cpu} CPU / {memory} (the API server takes the patched StatefulSet: {cluster.name})"
    )


def _base_render() -> list[dict]:
    """The kind overlay as rendered (once per process: kubectl kustomize takes a second or two)."""
    if not _BASE:
        _BASE.append(kind.render())
    return copy.deepcopy(_BASE[0])


_BASE: list[list[dict]] = []


def _diff(a, b, path: str = "") -> list[str]:
    """The paths where two rendered objects differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [p for k in set(a) | set(b) for p in _diff(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [p for i, (x, y) in enumerate(zip(a, b, strict=True)) for p in _diff(x, y, f"{path}[{i}]")]
    return [] if a == b else [path or "."]


# --- the platform half, built by the learner and judged by a real API server ------------------------------------
# The practice cluster (lab.lessons.cluster): the lab's control plane on target local, the learner's kind cluster on
# target kind. Each check applies the learner's objects (server-side apply) into a namespace of its own and reads
# what the API server, the controllers and the scheduler made of them.

FIELD_MANAGER = "week08-learner"
_PV_LABEL = "week08"


def idle_apps() -> list[str]:
    """The notebook's clean-up of the lab's in-cluster apps: each back to idle (lab.kube.stop_app), the cluster kept
    for the next weeks; the local target deploys none. Returns one line per app."""
    lines = []
    for app in reversed(target.current().apps):  # the producer first: nothing new reaches Spark
        kube.stop_app(app)
        lines.append(f"{app}: idle (the cluster keeps running)")
    return lines or ["no in-cluster apps on this target"]


def _call(fn, what: str):
    """The learner's function's result; any exception becomes one CheckFailed line (NotImplementedError passes)."""
    try:
        return fn()
    except (NotImplementedError, CheckFailed):
        raise
    except Exception as exc:  # noqa: BLE001 - learner code: one line with its cause, never a trace in the cell
        raise CheckFailed(f"{what} raised {type(exc).__name__}: {exc}") from None


def _server_says(exc) -> str:
    """The API server's own message of an ApiException (its Status' message)."""
    import json

    try:
        return json.loads(exc.body)["message"]
    except (TypeError, ValueError, KeyError):
        return f"{exc.status} {exc.reason}"


def _docs(objs, what: str) -> list[dict]:
    docs = [objs] if isinstance(objs, dict) else list(objs or [])
    for d in docs:
        expect(isinstance(d, dict) and d.get("kind") and d.get("apiVersion") and (d.get("metadata") or {}).get("name"),
               f"{what}: every object needs apiVersion, kind and metadata.name (got {str(d)[:120]})")  # fmt: skip
    return docs


def _apply(cluster: Cluster, docs: list[dict], namespace: str, dry_run: bool = False) -> list[dict]:
    """Server-side apply each object into `namespace`; the API server's refusal becomes CheckFailed with its message."""
    from kubernetes.client.rest import ApiException

    out = []
    for doc in docs:
        body = copy.deepcopy(doc)
        body["metadata"]["namespace"] = namespace
        try:
            if dry_run:
                res = cluster.api._resource(body["apiVersion"], body["kind"])
                out.append(cluster.api.dynamic.server_side_apply(res, body=body, namespace=namespace,
                           field_manager=FIELD_MANAGER, force_conflicts=True, dry_run="All").to_dict())  # fmt: skip
            else:
                out.append(cluster.api.apply(body, namespace=namespace, field_manager=FIELD_MANAGER))
        except ApiException as exc:
            raise CheckFailed(
                f"the API server refuses {doc['kind']}/{doc['metadata']['name']}: {_server_says(exc)}"
            ) from None
        except LabError as exc:  # a kind the cluster does not know
            raise CheckFailed(f"{doc['kind']}/{doc['metadata']['name']}: {exc}") from None
    return out


def _refuse_the_labs_own(docs: list[dict]) -> None:
    """CheckFailed when an object is the kind overlay's own (its part-of label, or the same spec: read from k8s/base
    or lab.kind.render()), not the learner's."""
    for doc in docs:
        mine = {k: v for k, v in (doc.get("spec") or {}).items() if k != "suspend"}
        for ours in _base_render():
            if ours["kind"] != doc["kind"]:
                continue
            labelled = (doc["metadata"].get("labels") or {}).get("app.kubernetes.io/part-of") == "kappa-lab"
            same = mine == {k: v for k, v in (ours.get("spec") or {}).items() if k != "suspend"}
            expect(not (labelled or same),
                   f"{doc['kind']}/{doc['metadata']['name']} is the lab's own ({ours['kind']}/{ours['metadata']['name']} "
                   "of k8s/base): write yours with the fields the exercise asks for")  # fmt: skip


def _image_problem(image) -> str | None:
    """Why an image reference is not pinned (None when it is)."""
    if not isinstance(image, str) or not image:
        return "no image"
    if "@sha256:" in image:
        return None
    tag = image.rsplit("/", 1)[-1].partition(":")[2]
    if not tag:
        return f"image {image!r} has no tag: it means :latest, which changes under you; pin a version"
    if tag == "latest":
        return f"image {image!r} uses :latest, which changes under you (and kind re-pulls it); pin a version"
    return None


def _ensure_volumes(cluster: Cluster, needed: int) -> None:
    """On the control plane (no provisioner): `needed` Available static PVs of the exercises' own (10 GiB: the binder
    picks the smallest that fits, so they are taken before the lab's 20 GiB ones), Released ones recycled."""
    if not cluster.lab_control_plane or needed <= 0:
        return
    api = cluster.api
    ours = api.core.list_persistent_volume(label_selector=f"lab.kappa/pv={_PV_LABEL}").items
    for pv in ours:
        if pv.status.phase in ("Released", "Failed"):
            api.core.delete_persistent_volume(pv.metadata.name)
    free = sum(1 for pv in ours if pv.status.phase == "Available")
    for _ in range(max(0, needed - free)):
        name = f"lab-w08-pv-{secrets.token_hex(3)}"
        api.apply({"apiVersion": "v1", "kind": "PersistentVolume",
                   "metadata": {"name": name, "labels": {"lab.kappa/pv": _PV_LABEL}},
                   "spec": {"capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce"],
                            "storageClassName": "standard", "persistentVolumeReclaimPolicy": "Retain",
                            "hostPath": {"path": f"/nonexistent/{name}"}}},
                  namespace="default", field_manager="lab-control-plane")  # fmt: skip


def _containers(obj: dict) -> list[dict]:
    return (((obj.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []


def _resources_problem(c: dict) -> str | None:
    res = c.get("resources") or {}
    requests, limits = res.get("requests") or {}, res.get("limits") or {}
    missing = [f"requests.{k}" for k in ("cpu", "memory") if k not in requests]
    missing += ["limits.memory"] if "memory" not in limits else []
    if missing:
        return (f"container {c.get('name')!r} has no {', '.join(missing)}: without requests the scheduler cannot "
                "place it honestly, without a memory limit one pod can starve the node")  # fmt: skip
    return None


def check_cassandra(objects, namespace: str | None = None, cluster: Cluster | None = None) -> str:
    """`objects()` returns the Cassandra StatefulSet and its headless Service: they are applied to the practice cluster
    and judged by what the API server, the StatefulSet controller and the scheduler make of them."""
    docs = _docs(_call(objects, "your cassandra_manifests()"), "cassandra_manifests()")
    sets = [d for d in docs if d["kind"] == "StatefulSet"]
    expect(len(sets) == 1, f"return one StatefulSet (and its Service): got kinds {[d['kind'] for d in docs]}")
    _refuse_the_labs_own(docs)
    cluster = cluster or checked_cluster()
    namespace = namespace or exercise_namespace("w08-cassandra", cluster)
    _ensure_volumes(cluster, int((sets[0].get("spec") or {}).get("replicas") or 1))
    applied = _apply(cluster, docs, namespace)
    sts = next(o for o in applied if o["kind"] == "StatefulSet")
    name, spec = sts["metadata"]["name"], sts["spec"]
    services = {o["metadata"]["name"]: o for o in applied if o["kind"] == "Service"}
    headless = [n for n, s in services.items() if s["spec"].get("clusterIP") == "None"]
    expect(headless, "no headless Service: the API server gave "
           + (", ".join(f"{n} clusterIP {s['spec'].get('clusterIP')}" for n, s in services.items()) or "nothing")
           + " — a StatefulSet's pods get their stable DNS names (cassandra-0.<service>) only from a Service with "
           "clusterIP: None")  # fmt: skip
    service_name = spec.get("serviceName")
    expect(service_name in headless,
           f"serviceName mismatch: the StatefulSet's serviceName is {service_name!r}, your headless Service is "
           f"{headless[0]!r}: they must be the same name")  # fmt: skip
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    selector = services[service_name]["spec"].get("selector") or {}
    expect(
        selector and all(labels.get(k) == v for k, v in selector.items()),
        f"Service {service_name} selects {selector or 'nothing'}, not the StatefulSet's pods (labels {labels})",
    )
    (container, *_) = _containers(sts)
    problem = _image_problem(container.get("image"))
    expect(problem is None, f"container {container.get('name')!r}: {problem}")
    claims = [t["metadata"]["name"] for t in spec.get("volumeClaimTemplates") or []]
    data = next((m for m in container.get("volumeMounts") or [] if m.get("mountPath") == "/var/lib/cassandra"), None)
    volumes = {v["name"]: v for v in (spec["template"]["spec"].get("volumes") or [])}
    where = "no volume" if data is None else ("an emptyDir" if "emptyDir" in volumes.get(data["name"], {}) else
                                              f"volume {data['name']!r}")  # fmt: skip
    expect(claims, f"no volumeClaimTemplates: Cassandra's data (/var/lib/cassandra) is on {where} and dies with the "
           "pod; give the StatefulSet a volumeClaimTemplate and mount it there")  # fmt: skip
    expect(data is not None and data["name"] in claims,
           f"/var/lib/cassandra is on {where}, not on your claim {claims[0]!r}: mount the claim there (else the data "
           "lives on the container's layer and dies with the pod)")  # fmt: skip
    for probe in ("readinessProbe", "startupProbe"):
        expect(container.get(probe), f"probe missing: container {container.get('name')!r} has no {probe} "
               + ("(Services and rollouts would send traffic to a node still starting)" if probe == "readinessProbe"
                  else "(Cassandra takes a minute to start: without it a liveness probe kills it first)"))  # fmt: skip
    problem = _resources_problem(container)
    expect(problem is None, problem or "")
    replicas = spec.get("replicas", 1)

    def settled():
        obj = cluster.api.get("apps/v1", "StatefulSet", name, namespace) or {}
        pvcs = cluster.api.core.list_namespaced_persistent_volume_claim(namespace).items
        bound = [p for p in pvcs if p.status.phase == "Bound"]
        ready = (obj.get("status") or {}).get("readyReplicas") or 0
        if ready < replicas or len(bound) < replicas * len(claims):
            raise ConnectionError(f"{ready}/{replicas} pods Ready, {len(bound)} of {len(pvcs)} PVCs Bound")
        return bound

    bound = wait(cluster, namespace, f"StatefulSet {name} Ready with its PVCs Bound", settled)
    pvc = bound[0]
    return (f"StatefulSet {name}: {replicas}/{replicas} pods Ready, PVC {pvc.metadata.name} Bound to "
            f"{pvc.spec.volume_name}, headless Service {service_name}, probes and resources set (on {cluster.name}, "
            f"namespace {namespace})")  # fmt: skip


# --- the producer's image and Job ---------------------------------------------------------------------------------


def _dockerfile_lines(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per logical line (continuations joined, comments dropped)."""
    lines, buf = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not buf and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        word, _, rest = buf.strip().partition(" ")
        lines.append((word.upper(), rest.strip()))
        buf = ""
    return lines


def _in_clone(src: str, context) -> bool:
    """True when the COPY/ADD source `src` exists in a fresh clone (git-tracked; the rule of the image-build contract,
    tests/test_image_builds.py: what only exists on this machine, e.g. under .lab/, does not count); on a copy that is
    not a git checkout, on disk."""
    import fnmatch
    import glob
    import subprocess

    out = subprocess.run(["git", "ls-files"], cwd=context, capture_output=True, text=True)
    if out.returncode:
        return bool(glob.glob(str(context / src)))
    path = src.rstrip("/").removeprefix("./") or "."
    files = out.stdout.split()
    return path == "." or any(
        fnmatch.fnmatch(f, path) or f.startswith(path + "/") or fnmatch.fnmatch(f, path + "/*") for f in files
    )


def dockerfile_problems(text: str, context=None) -> list[str]:
    """The image-build contract for one Dockerfile built from `context` (default the repository root, after the
    documented setup steps): pinned base images, every COPY/ADD source present, a non-root USER, `lab produce` run."""
    import json
    import shlex
    from pathlib import Path

    context = Path(context or config.REPO_ROOT)
    lines = _dockerfile_lines(text or "")
    if not lines or lines[0][0] not in ("FROM", "ARG"):
        return ["a Dockerfile starts with FROM <base image>"]
    problems, stages = [], set()
    user = None
    for word, args in lines:
        if word == "FROM":
            parts = args.split()
            image = next((p for p in parts if not p.startswith("--")), "")
            if len(parts) >= 3 and parts[-2].lower() == "as":
                stages.add(parts[-1].lower())
            if image != "scratch" and image.lower() not in stages:
                problem = _image_problem(image)
                if problem:
                    problems.append(f"FROM {problem}")
        elif word in ("COPY", "ADD"):
            try:
                parts = json.loads(args) if args.startswith("[") else shlex.split(args)
            except ValueError:
                problems.append(f"{word} {args}: cannot read its arguments")
                continue
            if any(p.startswith("--from") for p in parts):
                continue
            sources = [p for p in parts if not p.startswith("--")][:-1]
            if not sources:
                problems.append(f"{word} {args}: needs a source and a destination")
            for src in sources:
                if src.startswith(("http://", "https://")):
                    problems.append(f"{word} {src}: downloads at build time; copy a file of the repository instead")
                elif ".." in Path(src).parts or src.startswith("/"):
                    problems.append(f"{word} {src}: outside the build context ({context})")
                elif not _in_clone(src, context):
                    problems.append(f"{word} {src}: no such file in the build context (the repository as cloned, "
                                    f"{context}) — the build stops there")  # fmt: skip
        elif word == "USER":
            user = args.split(":")[0]
    if user is None:
        problems.append("no USER: the container runs as root; add a user and switch to it (USER 10001)")
    elif user in ("root", "0"):
        problems.append(f"USER {user}: the container runs as root; switch to an unprivileged user")
    runs = " ".join(a for w, a in lines if w in ("ENTRYPOINT", "CMD"))
    if "produce" not in runs:
        problems.append("neither ENTRYPOINT nor CMD runs `lab produce`")
    return problems


def check_producer(job, dockerfile, namespace: str | None = None, cluster: Cluster | None = None) -> str:
    """`dockerfile()` returns the producer image's Dockerfile (text), `job()` the Job that runs it once: the
    Dockerfile is held to the image-build contract, the Job applied to the practice cluster until its pod Succeeded."""
    text = _call(dockerfile, "your producer_dockerfile()")
    expect(isinstance(text, str) and text.strip(), "producer_dockerfile() returns the Dockerfile's text")
    ours = config.REPO_ROOT / "k8s" / "images" / "producer" / "Dockerfile"
    expect(
        _dockerfile_lines(text) != _dockerfile_lines(ours.read_text()),
        f"that is the lab's own Dockerfile ({ours.relative_to(config.REPO_ROOT)}): write yours",
    )
    problems = dockerfile_problems(text)
    expect(not problems, "Dockerfile: " + "; ".join(problems))
    (doc,) = _docs(_call(job, "your producer_job()"), "producer_job()")
    expect(doc["kind"] == "Job", f"producer_job() returns a Job (batch/v1), not a {doc['kind']}")
    _refuse_the_labs_own([doc])
    cluster = cluster or checked_cluster()
    namespace = namespace or exercise_namespace("w08-producer", cluster)
    run = copy.deepcopy(doc)
    if not cluster.lab_control_plane:  # a real container: `lab produce --help` exits 0 without sending the month again
        for c in _containers(run):
            c["command"], c["args"] = ["lab", "produce", "--help"], []
    (obj,) = _apply(cluster, [run], namespace)
    name, spec = obj["metadata"]["name"], obj["spec"]
    (container, *_) = _containers(obj)
    problem = _image_problem(container.get("image"))
    expect(problem is None, f"container {container.get('name')!r}: {problem}")
    repo = config.PRODUCER_IMAGE.rsplit(":", 1)[0]
    expect(
        container["image"].rsplit(":", 1)[0] == repo,
        f"the Job runs {container['image']!r}: run the image your Dockerfile builds ({config.PRODUCER_IMAGE})",
    )
    expect(
        spec.get("backoffLimit") == 0,
        f"backoffLimit is {spec.get('backoffLimit')}: a retried producer sends the month again; set 0",
    )
    expect(not spec.get("suspend"), "the Job is suspended: its pod never starts (set suspend: false or leave it out)")
    problem = _resources_problem(container)
    expect(problem is None, problem or "")

    def complete():
        job_now = cluster.api.get("batch/v1", "Job", name, namespace) or {}
        conds = {c["type"]: c for c in (job_now.get("status") or {}).get("conditions") or [] if c["status"] == "True"}
        if "Failed" in conds:
            raise CheckFailed(f"Job {name} failed: {conds['Failed'].get('message')}")
        pods = cluster.api.core.list_namespaced_pod(namespace, label_selector=f"job-name={name}").items
        done = [p for p in pods if p.status.phase == "Succeeded"]
        if "Complete" not in conds or not done:
            raise ConnectionError(f"pods {[p.status.phase for p in pods]}, conditions {sorted(conds) or 'none'}")
        return done[0]

    pod = wait(cluster, namespace, f"Job {name} Complete", complete)
    ran = "" if cluster.lab_control_plane else " (run as `lab produce --help`: the month is not sent twice)"
    return (f"Job {name}: pod {pod.metadata.name} Succeeded on {pod.spec.node_name}{ran}, the Job Complete; the "
            f"Dockerfile keeps the image-build contract (on {cluster.name}, namespace {namespace})")  # fmt: skip


# --- kubectl ------------------------------------------------------------------------------------------------------


def check_kubectl(commands, replicas: int = 3, namespace: str | None = None, cluster: Cluster | None = None) -> str:
    """`commands(namespace)` returns kubectl command lines that scale Deployment web to `replicas` and wait for its
    rollout: they run against the practice cluster, then the check reads what they changed."""
    cluster = cluster or checked_cluster()
    namespace = kubectl_practice("w08-kubectl", cluster, namespace)
    lines = _call(lambda: commands(namespace), "your kubectl_commands()")
    expect(isinstance(lines, list | tuple) and lines, "kubectl_commands(namespace) returns a list of command lines")
    printed = []
    for line in lines:
        out = kubectl(str(line), cluster)
        printed.append(out)
        print(f"$ {line}\n{out.rstrip()}")
    web = cluster.api.get("apps/v1", "Deployment", PRACTICE_DEPLOYMENT, namespace) or {}
    spec, status = web.get("spec") or {}, web.get("status") or {}
    expect(
        spec.get("replicas") == replicas,
        f"Deployment web asks for {spec.get('replicas')} replicas, not {replicas}: kubectl scale it",
    )
    by_kubectl = [m for m in web["metadata"].get("managedFields") or [] if m.get("manager", "").startswith("kubectl")]
    expect(by_kubectl, "the replicas were not changed by kubectl (the Deployment's managedFields name no kubectl "
           "manager): run the kubectl command, not the Python client")  # fmt: skip
    expect(
        any("successfully rolled out" in out for out in printed),
        "no `kubectl rollout status` saw the rollout finish: wait for it with `kubectl rollout status deployment/web`",
    )
    expect(
        status.get("availableReplicas") == replicas and status.get("updatedReplicas") == replicas,
        f"the rollout is not complete: {status.get('availableReplicas')} of {replicas} available",
    )
    return (f"Deployment web scaled to {replicas} by kubectl and rolled out: {replicas}/{replicas} available "
            f"(on {cluster.name}, namespace {namespace})")  # fmt: skip
