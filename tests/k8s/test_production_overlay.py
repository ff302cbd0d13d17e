"""k8s/overlays/production on the real control plane (marker k8s; lab.services.controlplane: kube-apiserver,
controller-manager and scheduler 1.37.2, kwok's fake nodes; no container runs).

Six fake nodes shaped like small cloud nodes (config.PROD_NODE: 4 vCPU / 16 GiB, 3.8 CPU / 14 GiB allocatable), two in
each of three zones, are added for this module; the session's other nodes are cordoned meanwhile and uncordoned after.
The overlay goes into its own namespace, so the kind overlay's tests on the same control plane are not disturbed.
Stand-ins, said plainly: the Strimzi operator and Spark do not run here, so the pods they would create are made by
this test from what they read (a KafkaNodePool's template, labels and resources; Spark's pod templates plus the
resources spark-submit asks for), to let the real scheduler and RBAC judge them.
"""

from __future__ import annotations

import re
import secrets

import pytest
import yaml
from kubernetes.client.rest import ApiException
from kubernetes.utils import parse_quantity

from lab import config
from lab.deploy import kind, kube
from lab.services import controlplane
from lab.wait import until

pytestmark = pytest.mark.k8s

NS = "kappa-production"  # the overlay's kappa, renamed: the kind overlay's tests use kappa on the same control plane
ZONES = tuple(f"zone-{c}" for c in "abcdefgh"[: config.PROD_ZONES])
NODES = {f"prod-{zone}-{i}": zone for zone in ZONES for i in range(config.PROD_NODES_PER_ZONE)}
POOL_LABEL = "lab.kappa/pool"
PV_SIZE, PV_COUNT = "100Gi", 4  # Cassandra's three 100 GiB claims and Prometheus's 50 GiB one (the session's are 20)
FIELD_MANAGER = "kappa-lab-production-test"
SECRETS = {  # the overlay's prerequisites (its README, "Before the first apply")
    "cassandra-auth": ["username", "password", "admin-password"],
    "grafana-admin": ["admin-user", "admin-password"],
    "checkpoint-s3": ["access-key", "secret-key"],
}


def retarget(docs: list[dict], namespace: str) -> list[dict]:
    """The rendered overlay moved into `namespace` (what `kustomize edit set namespace` would do)."""
    for doc in docs:
        if doc["kind"] == "Namespace":
            doc["metadata"]["name"] = namespace
        else:
            doc["metadata"]["namespace"] = namespace
        for subject in doc.get("subjects") or []:
            if subject.get("kind") == "ServiceAccount":
                subject["namespace"] = namespace
    return docs


def requests_of(pod) -> tuple[float, float]:
    """(CPU cores, memory bytes) a pod's containers request."""
    cpu = mem = 0.0
    for c in pod.spec.containers:
        req = (c.resources.requests if c.resources else None) or {}
        cpu += float(parse_quantity(req.get("cpu", "0")))
        mem += float(parse_quantity(req.get("memory", "0")))
    return cpu, mem


def active_pods(api, node: str | None = None) -> list:
    """Pods of the overlay's namespace that hold resources (not Succeeded/Failed), optionally on one node."""
    pods = api.core.list_namespaced_pod(NS).items
    return [
        p for p in pods if p.status.phase not in ("Succeeded", "Failed") and (node is None or p.spec.node_name == node)
    ]


def _node(api, name: str, zone: str) -> None:
    shape = config.PROD_NODE
    capacity = {"cpu": shape["cpu"], "memory": shape["memory"], "pods": "110", "ephemeral-storage": "100Gi"}
    allocatable = dict(capacity, cpu=shape["allocatable_cpu"], memory=shape["allocatable_memory"])
    labels = {config.ZONE_LABEL: zone, POOL_LABEL: "production"}
    controlplane.add_node(name, "production", labels, api=api, capacity=capacity, allocatable=allocatable)


def _crds(api) -> None:
    """Strimzi 1.2.0's real CRDs (all of them, from its install files), applied and Established."""
    folder = config.shared_dir() / "k8s-schemas" / f"strimzi-{config.STRIMZI_VERSION}" / "install"
    files = sorted(folder.glob("*-Crd-*.yaml"))
    assert files, f"Strimzi's install files are missing in {folder} (set LAB_SHARED_DIR)"
    names = []
    for path in files:
        crd = yaml.safe_load(path.read_text())
        api.apply(crd, namespace="default", field_manager=FIELD_MANAGER)
        names.append(crd["metadata"]["name"])

    def established() -> bool:
        for name in names:
            crd = api.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", name, None)
            conds = {c["type"]: c["status"] for c in (crd or {}).get("status", {}).get("conditions") or []}
            if conds.get("Established") != "True":
                raise ConnectionError(f"{name} not Established yet")
        return True

    until(established, service="Strimzi CRDs Established", timeout=60)


def kafka_stand_ins(api) -> None:
    """The pods Strimzi would make from each KafkaNodePool as stored on the server: its labels, its pod template's
    affinity and spread, its resources (Strimzi's operator does not run on the control plane)."""
    for pool, replicas in config.PROD_KAFKA_POOLS.items():
        spec = api.get(config.STRIMZI_API, "KafkaNodePool", pool, NS)["spec"]
        labels = {
            "strimzi.io/cluster": config.KAFKA_CLUSTER,
            "strimzi.io/kind": "Kafka",
            "strimzi.io/name": f"{config.KAFKA_CLUSTER}-kafka",
            "strimzi.io/pool-name": pool,
            f"strimzi.io/{'broker' if 'broker' in spec['roles'] else 'controller'}-role": "true",
            "kappa-lab/stand-in": "strimzi",
        }
        template = spec["template"]["pod"]
        container = {"name": "kafka", "image": config.CONNECT_BASE_IMAGE, "resources": spec["resources"]}
        for i in range(replicas):
            body = {
                "metadata": {"name": f"{config.KAFKA_CLUSTER}-{pool}-{i}", "labels": labels},
                "spec": {
                    "affinity": template["affinity"],
                    "topologySpreadConstraints": template["topologySpreadConstraints"],
                    "containers": [container],
                },
            }
            api.core.create_namespaced_pod(NS, body)


def spark_stand_ins(api, docs: list[dict]):
    """The pods Spark would make: its pod templates (the stored ConfigMap) with the image and the resources the
    submitter's --conf settings ask for (memory + overhead). The driver is created as admin (spark-submit's part);
    the executors by the driver's ServiceAccount, impersonated. Returns (CoreV1Api, AppsV1Api as the driver, confs,
    a function making an executor pod)."""
    from kubernetes import client
    from kubernetes import config as kconfig

    from lab.services import controlplane

    job = next(d for d in docs if d["kind"] == "Job" and d["metadata"]["name"] == "spark-stream-submit")
    args = job["spec"]["template"]["spec"]["containers"][0]["args"]
    confs = dict(args[i + 1].split("=", 1) for i, a in enumerate(args) if a == "--conf")
    templates = api.core.read_namespaced_config_map("spark-pod-templates", NS).data
    sa = confs["spark.kubernetes.authenticate.driver.serviceAccountName"]

    def mib(*keys: str) -> str:
        """Spark's JVM-style sizes (512m, 2g) added up, in MiB."""
        units = {"k": 1 / 1024, "m": 1, "g": 1024, "t": 1024**2}
        return f"{sum(int(float(confs[k][:-1]) * units[confs[k][-1].lower()]) for k in keys)}Mi"

    def pod(role: str, name: str) -> dict:
        spec = yaml.safe_load(templates[f"{role}-template.yaml"])
        (container,) = spec["spec"]["containers"]
        container["image"] = confs["spark.kubernetes.container.image"]
        memory = mib(f"spark.{role}.memory", f"spark.{role}.memoryOverhead")
        cpu = confs[f"spark.kubernetes.{role}.request.cores"]
        container["resources"] = {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": memory}}
        spec["metadata"]["name"] = name
        spec["metadata"]["labels"]["kappa-lab/stand-in"] = "spark"
        spec["spec"]["serviceAccountName"] = sa
        return spec

    api.core.create_namespaced_pod(NS, pod("driver", "kappa-stream-driver"))
    as_driver = kconfig.new_client_from_config(config_file=str(controlplane.kubeconfig()), context=controlplane.CONTEXT)
    as_driver.set_default_header("Impersonate-User", f"system:serviceaccount:{NS}:{sa}")
    core, apps = client.CoreV1Api(as_driver), client.AppsV1Api(as_driver)
    for i in range(1, int(confs["spark.executor.instances"]) + 1):
        core.create_namespaced_pod(NS, pod("executor", f"kappa-stream-exec-{i}"))
    return core, apps, confs, lambda name: pod("executor", name)


@pytest.fixture(scope="module")
def production(control_plane):
    """The overlay applied to six fake small nodes in three zones; yields the client and the rendered objects."""
    api = control_plane.client()
    for name, zone in NODES.items():
        _node(api, name, zone)
    others = {
        n.metadata.name: bool(n.spec.unschedulable) for n in api.core.list_node().items if n.metadata.name not in NODES
    }
    for name in others:
        api.core.patch_node(name, {"spec": {"unschedulable": True}})
    for i in range(PV_COUNT):
        api.apply(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolume",
                "metadata": {"name": f"prod-pv-{i}", "labels": {POOL_LABEL: "production"}},
                "spec": {
                    "capacity": {"storage": PV_SIZE},
                    "accessModes": ["ReadWriteOnce"],
                    "storageClassName": "standard",
                    "persistentVolumeReclaimPolicy": "Delete",
                    "hostPath": {"path": f"/nonexistent/prod-pv-{i}"},
                },
            },
            namespace="default",
            field_manager=FIELD_MANAGER,
        )
    try:
        until(
            lambda: all(
                any(c.type == "Ready" and c.status == "True" for c in api.core.read_node(n).status.conditions or [])
                for n in NODES
            ),
            service="the production nodes Ready (kwok)",
            timeout=60,
        )
        _crds(api)
        docs = retarget(kind.render("kind", path=kind.overlay_dir(config.PRODUCTION_OVERLAY)), NS)
        (namespace,) = [d for d in docs if d["kind"] == "Namespace"]
        api.apply(namespace, namespace=NS, field_manager=FIELD_MANAGER)
        until(lambda: api.core.read_namespaced_service_account("default", NS), service="default SA", timeout=60)
        for name, keys in SECRETS.items():
            api.core.create_namespaced_secret(
                NS, {"metadata": {"name": name}, "stringData": {k: secrets.token_hex(12) for k in keys}}
            )
        applied = {}
        for doc in kube.ordered(d for d in docs if d["kind"] != "Namespace"):
            applied[(doc["kind"], doc["metadata"]["name"])] = api.apply(doc, namespace=NS, field_manager=FIELD_MANAGER)
        kafka_stand_ins(api)
        *as_driver, executor = spark_stand_ins(api, docs)
        yield {"api": api, "docs": docs, "applied": applied, "as_driver": as_driver, "executor": executor}
    finally:
        try:
            api.core.delete_namespace(NS)
        except ApiException as exc:
            if exc.status != 404:
                raise
        for name in NODES:
            api.core.delete_node(name)
        for name, was in others.items():
            api.core.patch_node(name, {"spec": {"unschedulable": was}})
        api.core.delete_collection_persistent_volume(label_selector=f"{POOL_LABEL}=production")


def running(api, selector: str, count: int, timeout: float = 90) -> list:
    """Wait until `count` pods matching `selector` are Running on a node; returns them."""

    def probe():
        pods = [
            p
            for p in api.core.list_namespaced_pod(NS, label_selector=selector).items
            if p.status.phase == "Running" and p.spec.node_name and not p.metadata.deletion_timestamp
        ]
        return pods if len(pods) == count else None

    return until(probe, service=f"{count} pods {selector} Running", timeout=timeout, interval=0.5)


def test_every_object_is_accepted_and_strimzi_keeps_every_field(production):
    """Server-side apply accepted every object; the API server prunes fields a CRD does not declare, so a Strimzi
    resource read back with the spec it was sent has every field in Strimzi's schema. And the CRDs do validate."""
    api, docs, applied = production["api"], production["docs"], production["applied"]
    assert len(applied) == len(docs) - 1  # all but the Namespace, applied first
    for doc in docs:
        stored = api.get(doc["apiVersion"], doc["kind"], doc["metadata"]["name"], NS)
        assert stored is not None, f"{doc['kind']}/{doc['metadata']['name']} is not on the server"
        if doc["apiVersion"] == config.STRIMZI_API:
            assert stored["spec"] == doc["spec"], f"{doc['kind']}/{doc['metadata']['name']}: fields pruned"
    broken = yaml.safe_load(yaml.safe_dump(next(d for d in docs if d["kind"] == "KafkaNodePool")))
    broken["metadata"]["name"] = "typo"
    broken["spec"]["roles"] = ["brokr"]
    with pytest.raises(ApiException) as err:
        api.apply(broken, namespace=NS, field_manager=FIELD_MANAGER)
    assert err.value.status == 422 and "brokr" in err.value.body
    rackless = yaml.safe_load(yaml.safe_dump(next(d for d in docs if d["kind"] == "Kafka")))
    rackless["spec"]["kafka"]["rack"] = {"topologyKey": ""}  # Strimzi's CEL rule: a topology label needs its key
    with pytest.raises(ApiException) as err:
        api.apply(rackless, namespace=NS, field_manager=FIELD_MANAGER)
    assert err.value.status == 422 and "topologyKey property is required" in err.value.body


def test_the_scheduler_puts_the_three_cassandra_nodes_in_three_zones(production):
    api = production["api"]
    pods = running(api, "app.kubernetes.io/name=cassandra", config.PROD_CASSANDRA_NODES, timeout=120)
    nodes = [p.spec.node_name for p in pods]
    assert len(set(nodes)) == 3 and set(nodes) <= set(NODES), nodes
    assert sorted(NODES[n] for n in nodes) == list(ZONES)
    claims = api.core.list_namespaced_persistent_volume_claim(NS, label_selector="app.kubernetes.io/name=cassandra")
    assert sorted(c.status.phase for c in claims.items) == ["Bound"] * 3  # the StatefulSet's volumes, bound


def test_the_kafka_pools_pods_land_one_per_zone(production):
    """Stand-ins for the pods Strimzi makes from each KafkaNodePool as stored on the server (see kafka_stand_ins)."""
    api = production["api"]
    for pool, replicas in config.PROD_KAFKA_POOLS.items():
        pods = running(api, f"strimzi.io/pool-name={pool}", replicas)
        assert sorted(NODES[p.spec.node_name] for p in pods) == list(ZONES), pool
        assert len({p.spec.node_name for p in pods}) == replicas


def test_the_spark_driver_may_create_its_executors_and_nothing_else(production):
    """The executors were created by the driver's ServiceAccount (spark_stand_ins, impersonated: RBAC is the
    server's); it may delete and recreate them, but not run a workload of its own nor leave its namespace."""
    api, core, apps, confs = production["api"], *production["as_driver"]
    n = int(confs["spark.executor.instances"])
    assert len(running(api, "app.kubernetes.io/component=executor,kappa-lab/stand-in=spark", n)) == n >= 2
    running(api, "app.kubernetes.io/component=driver,kappa-lab/stand-in=spark", 1)
    lost = api.core.read_namespaced_pod("kappa-stream-exec-1", NS)
    core.delete_namespaced_pod("kappa-stream-exec-1", NS)  # the driver removes a lost executor …
    until(
        lambda: not [p for p in api.core.list_namespaced_pod(NS).items if p.metadata.uid == lost.metadata.uid],
        service="the deleted executor gone",
        timeout=30,
    )
    core.create_namespaced_pod(NS, production["executor"]("kappa-stream-exec-1"))  # … and asks for a new one
    running(api, "app.kubernetes.io/component=executor,kappa-lab/stand-in=spark", n)
    pod = {"containers": [{"name": "c", "image": "x"}]}
    deployment = {
        "metadata": {"name": "not-spark"},
        "spec": {
            "selector": {"matchLabels": {"a": "b"}},
            "template": {"metadata": {"labels": {"a": "b"}}, "spec": pod},
        },
    }
    with pytest.raises(ApiException) as err:
        apps.create_namespaced_deployment(NS, deployment)
    assert err.value.status == 403
    with pytest.raises(ApiException) as err:
        core.create_namespaced_pod("default", {"metadata": {"name": "escape"}, "spec": pod})
    assert err.value.status == 403


def test_the_overlays_requests_fit_the_nodes_it_documents(production):
    """Every pod the overlay makes (and the stand-ins) is scheduled on the six nodes; their requests add up to the
    README's table (with its row for what does not run here: the Strimzi operators and Grafana, from their sources)."""
    api = production["api"]
    running(api, "app.kubernetes.io/name=cassandra", config.PROD_CASSANDRA_NODES, timeout=120)  # one at a time
    running(api, "app.kubernetes.io/name=apicurio-registry", config.PROD_REGISTRY_REPLICAS)
    running(api, "app.kubernetes.io/name=prometheus", 1)
    pods = active_pods(api)
    pending = [p.metadata.name for p in pods if p.status.phase != "Running"]
    assert not pending, f"not scheduled: {pending}"
    assert {p.spec.node_name for p in pods} <= set(NODES)
    alloc = {n: api.core.read_node(n).status.allocatable for n in NODES}
    for node in NODES:
        cpu = sum(requests_of(p)[0] for p in active_pods(api, node))
        mem = sum(requests_of(p)[1] for p in active_pods(api, node))
        assert cpu <= float(parse_quantity(alloc[node]["cpu"])) and mem <= float(parse_quantity(alloc[node]["memory"]))
    # the README's total: the pods here, one pod of each Job (kwok finishes them at once; they run for real), and
    # what does not run in this namespace here (its row "Strimzi: …": the operators and Grafana)
    jobs = {
        p.metadata.labels["job-name"]: p
        for p in api.core.list_namespaced_pod(NS).items
        if p.status.phase == "Succeeded"
    }
    assert set(jobs) == {"cassandra-schema", "spark-stream-submit"}, set(jobs)
    cpu = sum(requests_of(p)[0] for p in [*pods, *jobs.values()])
    mem = sum(requests_of(p)[1] for p in [*pods, *jobs.values()])
    readme = (kind.overlay_dir(config.PRODUCTION_OVERLAY) / "README.md").read_text()
    elsewhere = re.search(r"\| Strimzi: .*\| ([\d.]+) \| ([\d.]+) GiB \|", readme)
    total = re.search(r"\| \*\*total\*\* \| \*\*([\d.]+)\*\* \| \*\*([\d.]+) GiB\*\* \|", readme)
    assert elsewhere and total, "the README's requests table changed shape"
    # that row from its sources: the topic operator (the Kafka resource), the operator (Strimzi's install file),
    # Grafana (the chart's values)
    topic_op = api.get(config.STRIMZI_API, "Kafka", config.KAFKA_CLUSTER, NS)["spec"]["entityOperator"]
    install = config.shared_dir() / "k8s-schemas" / f"strimzi-{config.STRIMZI_VERSION}" / "install"
    operator = yaml.safe_load((install / "060-Deployment-strimzi-cluster-operator.yaml").read_text())
    sources = [
        topic_op["topicOperator"]["resources"]["requests"],
        operator["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"],
        yaml.safe_load(kind.GRAFANA_VALUES.read_text())["resources"]["requests"],
    ]
    assert sum(float(parse_quantity(r["cpu"])) for r in sources) == pytest.approx(float(elsewhere[1]), rel=0.05)
    assert sum(float(parse_quantity(r["memory"])) for r in sources) / 2**30 == pytest.approx(
        float(elsewhere[2]), rel=0.05
    )
    # within 5%: the plan's arithmetic holds while the bases' small requests move
    assert cpu + float(elsewhere[1]) == pytest.approx(float(total[1]), rel=0.05)
    assert (mem / 2**30) + float(elsewhere[2]) == pytest.approx(float(total[2]), rel=0.05)
    nodes_cpu = sum(float(parse_quantity(a["cpu"])) for a in alloc.values())
    nodes_mem = sum(float(parse_quantity(a["memory"])) for a in alloc.values())
    one_down = len(NODES) - 1
    assert float(total[1]) <= nodes_cpu * one_down / len(NODES) and float(
        total[2]
    ) * 2**30 <= nodes_mem * one_down / len(NODES)


def test_draining_a_zone_evicts_no_more_cassandra_nodes_than_the_pdb_allows(production):
    """`kubectl drain` of a zone's nodes through the Eviction API: one Cassandra pod goes (maxUnavailable 1); its
    replacement cannot leave the zone (spread DoNotSchedule), so it waits, and the PDB refuses the next eviction."""
    api = production["api"]
    pods = running(api, "app.kubernetes.io/name=cassandra", 3)

    def allowed() -> int | None:
        pdb = api.get("policy/v1", "PodDisruptionBudget", "cassandra", NS) or {}
        st = pdb.get("status") or {}
        return st.get("disruptionsAllowed") if st.get("currentHealthy") is not None else None

    until(lambda: allowed() == 1, service="the Cassandra PDB allowing 1 disruption", timeout=60)
    victim = pods[0]
    zone = NODES[victim.spec.node_name]
    for node in (n for n, z in NODES.items() if z == zone):
        api.core.patch_node(node, {"spec": {"unschedulable": True}})  # the zone's nodes, cordoned first
    evicted, refused = [], []
    for pod in active_pods(api, victim.spec.node_name):  # drain the node holding a Cassandra pod
        try:
            api.core.create_namespaced_pod_eviction(
                pod.metadata.name, NS, {"metadata": {"name": pod.metadata.name, "namespace": NS}}
            )
            evicted.append(pod.metadata.name)
        except ApiException as exc:
            assert exc.status == 429, exc.body
            refused.append(pod.metadata.name)
    assert victim.metadata.name in evicted and not refused
    until(lambda: allowed() == 0, service="the Cassandra PDB at 0 disruptions", timeout=60)

    def replacement_pending():
        p = api.core.read_namespaced_pod(victim.metadata.name, NS)
        if p.metadata.uid == victim.metadata.uid:
            return None
        return p if p.status.phase == "Pending" and not p.spec.node_name else None

    until(replacement_pending, service="the replacement Cassandra pod Pending", timeout=60)
    other = next(p for p in pods if p.metadata.name != victim.metadata.name)
    with pytest.raises(ApiException) as err:
        api.core.create_namespaced_pod_eviction(
            other.metadata.name, NS, {"metadata": {"name": other.metadata.name, "namespace": NS}}
        )
    assert err.value.status == 429 and "disruption budget" in err.value.body
    assert len(running(api, "app.kubernetes.io/name=cassandra", 2)) == 2
