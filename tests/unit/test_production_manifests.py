"""k8s/overlays/production offline: it renders with `kubectl kustomize` (lab.kind.render), every object validates
against the Kubernetes and Strimzi 1.2.0 schemas, and its settings are those lab/config.py and the capacity plan say:
Kafka 3 controllers + 3 brokers, rack-aware, topics RF 3 / min.insync 2; Cassandra 3 nodes, 16 tokens, seeds by DNS,
NetworkTopologyStrategy RF 3, LOCAL_QUORUM, a PDB, spread, drain before stop; Spark on Kubernetes with pod templates,
RBAC and S3A checkpoints. Also the job setting the overlay needs from the code: an object-store checkpoint root
(spark-submit's settings winning over the lab's runs a JVM: tests/stack/test_spark_submit.py)."""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

import pytest
import yaml

from lab import config, stream
from lab.deploy import kind, manifests
from lab.errors import LabError

OVERLAY = kind.overlay_dir(config.PRODUCTION_OVERLAY)
K8S = config.REPO_ROOT / "k8s"


# The Secrets the overlay does not make (its README, "Before the first apply"): name -> keys the pods read
PREREQUISITE_SECRETS = {
    "cassandra-auth": {"username", "password", "admin-password"},
    "grafana-admin": {"admin-user", "admin-password"},
    "checkpoint-s3": {"access-key", "secret-key"},
}


@cache
def rendered() -> tuple:
    return tuple(kind.render("kind", path=OVERLAY))  # renders the folder; no Secret of its own to write


def objects(kind_: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in rendered() if d["kind"] == kind_}


def pod_template(name: str) -> dict:
    """A pod template the Spark submitter mounts (ConfigMap spark-pod-templates), as a Pod."""
    return yaml.safe_load(objects("ConfigMap")["spark-pod-templates"]["data"][name])


def submit_confs() -> tuple[list[str], dict[str, str]]:
    """The Spark submitter's arguments and its --conf settings."""
    args = objects("Job")["spark-stream-submit"]["spec"]["template"]["spec"]["containers"][0]["args"]
    confs = dict(args[i + 1].split("=", 1) for i, a in enumerate(args) if a == "--conf")
    return args, confs


def env_of(container: dict) -> dict[str, str]:
    return {e["name"]: e.get("value") for e in container.get("env", [])}


def test_the_overlay_renders_and_validates_against_the_pinned_schemas():
    docs = list(rendered())
    assert {d["metadata"].get("namespace") for d in docs if d["kind"] != "Namespace"} == {config.NAMESPACE}
    problems = manifests.validate(docs, manifests.crd_schemas())
    problems += manifests.validate([pod_template(n) for n in ("driver-template.yaml", "executor-template.yaml")])
    assert not problems, "\n".join(problems)


def test_kafka_has_three_controllers_and_three_brokers_spread_over_zones():
    pools = objects("KafkaNodePool")
    assert {n: p["spec"]["replicas"] for n, p in pools.items()} == config.PROD_KAFKA_POOLS
    assert {n: p["spec"]["roles"] for n, p in pools.items()} == {"controller": ["controller"], "broker": ["broker"]}
    for name, pool in pools.items():
        assert pool["metadata"]["labels"]["strimzi.io/cluster"] == config.KAFKA_CLUSTER
        (volume,) = pool["spec"]["storage"]["volumes"]
        assert volume["type"] == "persistent-claim" and volume["deleteClaim"] is False, name
        pod = pool["spec"]["template"]["pod"]
        own = {"strimzi.io/cluster": config.KAFKA_CLUSTER, "strimzi.io/pool-name": name}
        (spread,) = pod["topologySpreadConstraints"]
        assert spread["topologyKey"] == config.ZONE_LABEL and spread["whenUnsatisfiable"] == "DoNotSchedule"
        assert spread["labelSelector"]["matchLabels"] == own and spread["maxSkew"] == 1
        (anti,) = pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        assert anti["topologyKey"] == "kubernetes.io/hostname" and anti["labelSelector"]["matchLabels"] == own
    assert config.KAFKA_NODE_POOL not in pools, "the kind overlay's single dual-role pool is replaced"
    kafka = objects("Kafka")[config.KAFKA_CLUSTER]["spec"]["kafka"]
    assert kafka["rack"] == {"topologyKey": config.ZONE_LABEL}
    assert {x["type"] for x in kafka["listeners"]} == {"internal"}, "no NodePort advertised on 127.0.0.1"
    rf, min_isr = config.PROD_TOPIC_REPLICATION
    cfg = kafka["config"]
    for key in ("default", "offsets.topic", "transaction.state.log", "share.coordinator.state.topic"):
        assert cfg[f"{key}.replication.factor" if key != "default" else "default.replication.factor"] == rf
    assert cfg["min.insync.replicas"] == cfg["transaction.state.log.min.isr"] == min_isr
    assert cfg["replica.selector.class"].endswith("RackAwareReplicaSelector")


def test_topics_have_rf_3_and_min_isr_2_and_the_pods_check_the_same(monkeypatch):
    rf, min_isr = config.PROD_TOPIC_REPLICATION
    topics_ = objects("KafkaTopic")
    assert set(topics_) == {config.TRIPS_TOPIC, config.DLQ_TOPIC}
    for topic in topics_.values():
        assert topic["spec"]["replicas"] == rf and topic["spec"]["config"]["min.insync.replicas"] == min_isr
    assert topics_[config.TRIPS_TOPIC]["spec"]["partitions"] == config.PROD_TOPIC_PARTITIONS
    # the producer and the Spark driver run lab.topics, which creates or verifies topics with configuration's RF
    producer = objects("Job")["producer"]["spec"]["template"]["spec"]["containers"][0]
    driver = pod_template("driver-template.yaml")["spec"]["containers"][0]
    for container in (producer, driver):
        env = env_of(container)
        for var in (config.TOPIC_REPLICATION_ENV, config.TOPIC_MIN_ISR_ENV):
            monkeypatch.setenv(var, env[var])
        assert config.topic_replication() == (rf, min_isr), container["name"]


def test_cassandra_is_three_nodes_with_stable_seeds_spread_and_drained_before_stop():
    sts = objects("StatefulSet")["cassandra"]
    spec = sts["spec"]
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    env = env_of(container)
    assert spec["replicas"] == config.PROD_CASSANDRA_NODES
    assert env["CASSANDRA_NUM_TOKENS"] == str(config.PROD_CASSANDRA_NUM_TOKENS)
    assert "initial_token" not in env["JVM_EXTRA_OPTS"], "one token per node would collide on three nodes"
    headless = objects("Service")[spec["serviceName"]]
    assert headless["spec"]["clusterIP"] == "None" and headless["spec"]["publishNotReadyAddresses"] is True
    seeds = env["CASSANDRA_SEEDS"].split(",")
    assert seeds == [f"cassandra-{i}.{spec['serviceName']}.{config.NAMESPACE}.svc.cluster.local" for i in range(2)]
    assert env["CASSANDRA_DC"] == config.PROD_CASSANDRA_DC == config.LOCAL_DATACENTER
    assert env["CASSANDRA_ENDPOINT_SNITCH"] == "GossipingPropertyFileSnitch"
    assert container["lifecycle"]["preStop"]["exec"]["command"] == ["nodetool", "drain"]
    assert pod["terminationGracePeriodSeconds"] >= 120
    labels = spec["selector"]["matchLabels"]
    (spread,) = pod["topologySpreadConstraints"]
    assert spread["topologyKey"] == config.ZONE_LABEL and spread["whenUnsatisfiable"] == "DoNotSchedule"
    (anti,) = pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert anti["topologyKey"] == "kubernetes.io/hostname"
    assert spread["labelSelector"]["matchLabels"] == anti["labelSelector"]["matchLabels"] == labels
    pdb = objects("PodDisruptionBudget")["cassandra"]["spec"]
    assert pdb == {"maxUnavailable": 1, "selector": {"matchLabels": labels}}
    roles = objects("Role")["cassandra-snapshot"]["rules"]
    snap = objects("CronJob")["cassandra-snapshot"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    nodes = [f"cassandra-{i}" for i in range(config.PROD_CASSANDRA_NODES)]
    assert sorted(c["command"][2] for c in snap) == nodes, "the nightly snapshot is taken on every node"
    assert all(r["resourceNames"] == nodes for r in roles)


def test_the_schema_job_makes_the_keyspaces_network_topology_rf_3_then_applies_lab_cql_as_on_kind():
    spec = objects("Job")["cassandra-schema"]["spec"]["template"]["spec"]
    (init,) = spec["initContainers"]
    env, script = env_of(init), init["args"][0]
    assert init["image"] == config.CASSANDRA_IMAGE
    assert (env["NODES"], env["RF"], env["DC"], env["KEYSPACE"]) == (
        str(config.PROD_CASSANDRA_NODES),
        str(config.PROD_CASSANDRA_RF),
        config.PROD_CASSANDRA_DC,
        config.KEYSPACE,
    )
    assert """nts="{'class': 'NetworkTopologyStrategy', '$DC': $RF}\"""" in script
    # system_auth first (and repaired by reading it at ALL), the role, the lab keyspace before lab/cql can create it
    order = [
        script.index("ALTER KEYSPACE system_auth WITH replication = $nts"),
        script.index("CONSISTENCY ALL"),
        script.index("CREATE ROLE IF NOT EXISTS"),
        script.index("CREATE KEYSPACE IF NOT EXISTS $KEYSPACE WITH replication = $nts"),
    ]
    assert order == sorted(order)
    # then the kind overlay's own container, unchanged: lab/cql applied with its kappa.schema_versions books
    kind_job = next(
        d for d in kind.render("kind") if d["kind"] == "Job" and d["metadata"]["name"] == "cassandra-schema"
    )
    assert spec["containers"] == kind_job["spec"]["template"]["spec"]["containers"]
    assert "SimpleStrategy" in (config.CQL_DIR / "001_keyspace.cql").read_text(), "the local shape stays RF 1"


def test_spark_runs_on_kubernetes_with_templates_rbac_and_s3a_checkpoints():
    args, confs = submit_confs()
    job = objects("Job")["spark-stream-submit"]["spec"]["template"]["spec"]
    (container,) = job["containers"]
    assert container["command"] == ["spark-submit"]
    assert args[args.index("--master") + 1].startswith("k8s://https://kubernetes.default.svc")
    assert args[args.index("--deploy-mode") + 1] == "cluster"
    assert int(confs["spark.executor.instances"]) == config.PROD_SPARK_EXECUTORS >= 2
    assert container["image"] == confs["spark.kubernetes.container.image"] == config.SPARK_K8S_IMAGE
    assert confs["spark.cassandra.output.consistency.level"] == "LOCAL_QUORUM"
    assert confs["spark.cassandra.input.consistency.level"] == "LOCAL_QUORUM"
    # the pod templates spark-submit reads are the ConfigMap's files where the Job mounts it
    (mount,) = container["volumeMounts"]
    (volume,) = [v for v in job["volumes"] if v["name"] == mount["name"]]
    files = objects("ConfigMap")[volume["configMap"]["name"]]["data"]
    for role in ("driver", "executor"):
        path = Path(confs[f"spark.kubernetes.{role}.podTemplateFile"])
        assert path.parent == Path(mount["mountPath"]) and path.name in files, role
        (c,) = pod_template(path.name)["spec"]["containers"]
        assert c["name"] == confs[f"spark.kubernetes.{role}.podTemplateContainerName"]
    # RBAC: the driver's ServiceAccount may create and delete its executor pods, in this namespace only
    sa = confs["spark.kubernetes.authenticate.driver.serviceAccountName"]
    assert job["serviceAccountName"] == sa and sa in objects("ServiceAccount")
    (binding,) = [
        b
        for b in objects("RoleBinding").values()
        if {"kind": "ServiceAccount", "name": sa} in [{k: s[k] for k in ("kind", "name")} for s in b["subjects"]]
    ]
    rules = objects("Role")[binding["roleRef"]["name"]]["rules"]
    pods = next(r for r in rules if "pods" in r["resources"])
    assert {"create", "delete", "list", "watch"} <= set(pods["verbs"])
    assert not objects("ClusterRoleBinding") and not objects("ClusterRole")
    # checkpoints: S3A, bucket from configuration, keys from the Secret (env of driver and executors)
    root = args[args.index("--checkpoint-root") + 1]
    assert root == "s3a://$(CHECKPOINT_BUCKET)/stream"
    store = objects("ConfigMap")["checkpoint-store"]["data"]
    assert store["bucket"] == config.CHECKPOINT_BUCKET
    assert {e["name"] for e in container["env"]} >= {"S3_ENDPOINT", "S3_REGION", "S3_PATH_STYLE", "CHECKPOINT_BUCKET"}
    assert confs["spark.hadoop.fs.s3a.endpoint"] == "$(S3_ENDPOINT)"
    for name in ("driver-template.yaml", "executor-template.yaml"):
        env = pod_template(name)["spec"]["containers"][0]["env"]
        keys = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in env if "secretKeyRef" in e.get("valueFrom", {})}
        assert keys["AWS_ACCESS_KEY_ID"]["name"] == "checkpoint-s3" and keys["AWS_SECRET_ACCESS_KEY"]["key"]
    assert "spark-stream" not in objects("Deployment") and "spark-checkpoints" not in objects("PersistentVolumeClaim")


def test_the_drivers_arguments_are_lab_streams_own():
    """What spark-submit hands the driver script parses with `lab stream`'s real parser into the job the plan says:
    the checkpoint on the store, one Kafka-reading task per executor core."""
    from lab import cli

    args, confs = submit_confs()
    app = args[next(i for i, a in enumerate(args) if a.startswith("local://")) + 1 :]
    bucket = objects("ConfigMap")["checkpoint-store"]["data"]["bucket"]
    job = cli.job_from_args(
        cli.build_parser().parse_args(["stream", *(a.replace("$(CHECKPOINT_BUCKET)", bucket) for a in app)])
    )
    assert job.checkpoint_location(job.name) == f"s3a://{config.CHECKPOINT_BUCKET}/stream/{job.name}"
    cores = int(confs["spark.executor.instances"]) * int(confs["spark.executor.cores"])
    assert job.source_tasks == cores == 4
    assert cli.job_from_args(cli.build_parser().parse_args(["stream", "--source-tasks", "0"])).source_tasks is None
    assert cli.job_from_args(cli.build_parser().parse_args(["stream"])).source_tasks == stream.Job().source_tasks


def test_the_driver_is_scraped_by_prometheus():
    driver = pod_template("driver-template.yaml")
    prom = yaml.safe_load(objects("ConfigMap")["prometheus-config"]["data"]["prometheus.yml"])
    relabel = next(j for j in prom["scrape_configs"] if j["job_name"] == "kappa-lab-pods")["relabel_configs"]
    port_rule = next(r for r in relabel if r["source_labels"] == ["__meta_kubernetes_pod_container_port_name"])
    ports = [p["name"] for p in driver["spec"]["containers"][0]["ports"]]
    assert driver["metadata"]["labels"]["kappa-lab/scrape"] == "spark"
    assert any(re.fullmatch(port_rule["regex"], p) for p in ports)
    assert env_of(driver["spec"]["containers"][0])["LAB_METRICS_ADDR"] == "0.0.0.0"


def test_registry_replicas_pdbs_and_no_node_ports():
    registry = objects("Deployment")["apicurio-registry"]["spec"]
    assert registry["replicas"] == config.PROD_REGISTRY_REPLICAS > 1
    assert env_of(registry["template"]["spec"]["containers"][0])["APICURIO_STORAGE_KIND"] == "kafkasql"
    assert objects("PodDisruptionBudget")["apicurio-registry"]["spec"]["minAvailable"] == 1
    assert not [n for n, s in objects("Service").items() if s["spec"].get("type") == "NodePort"]
    prom = objects("Deployment")["prometheus"]["spec"]["template"]["spec"]
    (data,) = [v for v in prom["volumes"] if v["name"] == "data"]
    assert data == {"name": "data", "persistentVolumeClaim": {"claimName": "prometheus-data"}}
    assert "--storage.tsdb.retention.time=15d" in prom["containers"][0]["args"]


def test_every_referenced_configmap_exists_and_every_secret_is_a_documented_prerequisite():
    maps = objects("ConfigMap")
    assert not objects("Secret"), "no secret is generated or committed: they are the operator's"
    readme = (OVERLAY / "README.md").read_text()
    for name, keys in PREREQUISITE_SECRETS.items():
        assert f"create secret generic {name} " in readme and all(f"--from-literal={k}=" in readme for k in keys)
    specs = [pod_template(n)["spec"] for n in ("driver-template.yaml", "executor-template.yaml")]
    for d in rendered():
        spec = d.get("spec") or {}
        spec = spec.get("jobTemplate", {}).get("spec", spec).get("template", {}).get("spec")
        if spec and d["kind"] != "KafkaNodePool":
            specs.append(spec)
    for spec in specs:
        refs = [("ConfigMap", v["configMap"]["name"], None) for v in spec.get("volumes", []) if "configMap" in v]
        for c in spec["containers"]:
            for e in c.get("env", []):
                for kind_, key in (("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef")):
                    if key in e.get("valueFrom", {}) and not e["valueFrom"][key].get("optional"):
                        refs.append((kind_, e["valueFrom"][key]["name"], e["valueFrom"][key]["key"]))
        for kind_, name, key in refs:
            if kind_ == "Secret":
                assert key in PREREQUISITE_SECRETS.get(name, ()), f"Secret {name} key {key} is not documented"
            else:
                assert name in maps, f"ConfigMap {name} is referenced but not rendered"
                assert key is None or key in maps[name]["data"], f"ConfigMap {name} has no key {key}"


def test_the_spark_image_adds_s3a_at_pysparks_hadoop_version():
    import pyspark

    dockerfile = (OVERLAY / "spark-image" / "Dockerfile").read_text()
    assert f"FROM {config.SPARK_IMAGE}\n" in dockerfile and config.SPARK_K8S_IMAGE in dockerfile
    jars = {p.name for p in (Path(pyspark.__file__).parent / "jars").glob("hadoop-client-api-*.jar")}
    assert jars == {f"hadoop-client-api-{config.HADOOP_AWS_VERSION}.jar"}, "S3A must match Spark's Hadoop"
    assert f"hadoop-aws/{config.HADOOP_AWS_VERSION}/hadoop-aws-{config.HADOOP_AWS_VERSION}.jar" in dockerfile
    bundle = config.AWS_SDK_BUNDLE_VERSION
    assert f"aws-java-sdk-bundle/{bundle}/aws-java-sdk-bundle-{bundle}.jar" in dockerfile
    entry = OVERLAY / "spark-image" / "entrypoint.sh"
    assert subprocess.run(["bash", "-n", str(entry)]).returncode == 0 and entry.stat().st_mode & 0o111
    # the arguments Spark starts its pods with: driver → spark-submit in client mode, executor → the backend
    text = entry.read_text()
    assert "driver)" in text and "--deploy-mode client" in text and "KubernetesExecutorBackend" in text


def test_an_object_store_checkpoint_root_stays_a_uri():
    job = stream.Job(checkpoint_root="s3a://kappa-checkpoints/stream/")
    assert job.checkpoint_location("windows") == "s3a://kappa-checkpoints/stream/windows"
    with pytest.raises(LabError, match="in an object store: delete it with the store's own tools"):
        stream.reset(job)
    local = stream.Job(checkpoint_root="/tmp/cp")
    assert local.checkpoint_location("windows") == "/tmp/cp/windows" == str(local.checkpoint("windows"))
