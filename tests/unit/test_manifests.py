"""Offline checks of k8s/: every kustomization renders, every object validates (Kubernetes and Strimzi schemas),
and names, ports, versions and topic settings agree with lab/config.py (the single source of truth)."""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

import pytest
import yaml

from lab import config
from lab.deploy import kind, kube, manifests

REPO = config.REPO_ROOT
K8S = REPO / "k8s"
STRIMZI_SCHEMAS = config.shared_dir() / "k8s-schemas" / f"strimzi-{config.STRIMZI_VERSION}"
KUSTOMIZATIONS = sorted(p.parent for p in K8S.rglob("kustomization.yaml") if "components" not in p.parts)


@cache
def rendered(folder: Path = K8S / "overlays" / "kind") -> tuple:
    return tuple(kind.render("kind", path=folder))


def objects(kind_: str, folder: Path = K8S / "overlays" / "kind") -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in rendered(folder) if d["kind"] == kind_}


def pod_specs():
    for d in rendered():
        spec = d.get("spec") or {}
        spec = spec.get("jobTemplate", {}).get("spec", spec).get("template", {}).get("spec")  # CronJob or workload
        if spec:
            yield d, spec


def containers():
    for d, spec in pod_specs():
        for c in spec.get("initContainers", []) + spec["containers"]:
            yield d, c


@cache
def crd_schemas() -> dict[str, dict]:
    """Strimzi's CRDs from ../shared beside the clone: a missing folder FAILS the tests (never a skip)."""
    assert STRIMZI_SCHEMAS.is_dir(), (
        f"Strimzi CRDs missing: expected {STRIMZI_SCHEMAS} (the shared folder beside the clone)"
    )
    return manifests.crd_schemas(STRIMZI_SCHEMAS)


@pytest.mark.parametrize("folder", KUSTOMIZATIONS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_kustomization_renders(folder):
    docs = rendered(folder)
    assert docs, f"{folder} rendered nothing"
    assert all(d.get("metadata", {}).get("name") for d in docs)


@pytest.mark.parametrize(
    "folder",
    [K8S / "overlays" / "kind", K8S / "tests" / "kind-with-kafka-scram"],
    ids=["kind", "kind-with-kafka-scram"],
)
def test_objects_validate_against_pinned_schemas(folder):
    docs = rendered(folder)
    assert {d["apiVersion"] for d in docs if d["apiVersion"].startswith("kafka.strimzi.io/")} == {kube.STRIMZI_API}
    problems = manifests.validate(list(docs), crd_schemas())
    assert not problems, "\n".join(problems)


def test_schema_checks_catch_mistakes():
    kafka = objects("Kafka")[config.KAFKA_CLUSTER]
    typo = yaml.safe_load(yaml.safe_dump(kafka))
    typo["spec"]["kafka"]["listners"] = typo["spec"]["kafka"].pop("listeners")
    problems = manifests.validate([typo], crd_schemas())
    assert "Kafka/lab: unknown field .spec.kafka.listners" in problems
    assert any("'listeners' is a required property" in p for p in problems)
    bad = dict(objects("Service")["cassandra"], spec={"type": "NodePort", "ports": [{"port": "cql"}]})
    assert any(p.startswith("Service/cassandra: 'cql' is not of type 'integer'") for p in manifests.validate([bad]))
    old = dict(typo, apiVersion="kafka.strimzi.io/v1beta2")
    assert "not a Strimzi" in manifests.validate([old], crd_schemas())[0]


def test_everything_lives_in_the_lab_namespace():
    for doc in rendered():
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == config.NAMESPACE, doc["metadata"]["name"]
    assert list(objects("Namespace")) == [config.NAMESPACE]


def test_kafka_matches_config():
    kafka = objects("Kafka")[config.KAFKA_CLUSTER]["spec"]["kafka"]
    assert kafka["version"] == config.KAFKA_VERSION
    external = next(x for x in kafka["listeners"] if x["type"] == "nodeport")
    assert external["configuration"]["bootstrap"]["nodePort"] == config.KIND_NODEPORTS["kafka_bootstrap"]
    (node,) = yaml.safe_load((K8S / "kind-config.yaml").read_text())["nodes"]
    listen = {m["listenAddress"] for m in node["extraPortMappings"]}
    assert external["configuration"]["brokers"] == [
        {
            "broker": 0,
            "nodePort": config.KIND_NODEPORTS["kafka_broker_0"],
            "advertisedHost": "127.0.0.1",
            "advertisedPort": config.KIND_HOST_PORTS["kafka_broker_0"],
        }
    ]
    assert {b["advertisedHost"] for b in external["configuration"]["brokers"]} <= listen  # what kind maps, no ::1
    internal = next(x for x in kafka["listeners"] if x["type"] == "internal")
    assert f"{config.KAFKA_CLUSTER}-kafka-bootstrap:{internal['port']}" == config.KIND_SERVICES["kafka"]
    ref = kafka["metricsConfig"]["valueFrom"]["configMapKeyRef"]
    assert ref["key"] in objects("ConfigMap")[ref["name"]]["data"]
    assert objects("ConfigMap")[ref["name"]]["data"][ref["key"]] == (REPO / "lab/resources/jmx/kafka.yaml").read_text()
    pool = objects("KafkaNodePool")[config.KAFKA_NODE_POOL]
    assert pool["metadata"]["labels"]["strimzi.io/cluster"] == config.KAFKA_CLUSTER
    assert pool["spec"]["replicas"] == 1 and sorted(pool["spec"]["roles"]) == ["broker", "controller"]


def test_topics_match_config():
    topics = objects("KafkaTopic")
    assert set(topics) == {config.TRIPS_TOPIC, config.DLQ_TOPIC}
    assert topics[config.TRIPS_TOPIC]["spec"]["partitions"] == config.TOPIC_PARTITIONS
    assert topics[config.DLQ_TOPIC]["spec"]["partitions"] == config.DLQ_PARTITIONS
    for t in topics.values():
        assert t["metadata"]["labels"]["strimzi.io/cluster"] == config.KAFKA_CLUSTER
        assert int(t["spec"]["config"]["retention.ms"]) == config.TOPIC_RETENTION_MS


def test_kind_config_matches_config():
    cfg = yaml.safe_load((K8S / "kind-config.yaml").read_text())
    assert cfg["name"] == config.KIND_CLUSTER
    (node,) = cfg["nodes"]
    assert node["image"] == config.KIND_NODE_IMAGE
    assert config.KIND_NODE_IMAGE.split("@")[0].endswith(f"v{config.KUBERNETES_VERSION}")
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", config.KIND_NODE_IMAGE.split("@")[1]), "B9: pinned by digest"
    mappings = {m["containerPort"]: m["hostPort"] for m in node["extraPortMappings"]}
    assert mappings == {config.KIND_NODEPORTS[k]: config.KIND_HOST_PORTS[k] for k in config.KIND_NODEPORTS}
    assert {m["listenAddress"] for m in node["extraPortMappings"]} == {"127.0.0.1"}


def test_node_ports_match_config():
    services = objects("Service")
    node_ports = {p["nodePort"] for s in services.values() for p in s["spec"]["ports"] if "nodePort" in p}
    values = yaml.safe_load(kind.GRAFANA_VALUES.read_text())
    node_ports.add(values["service"]["nodePort"])
    assert node_ports == set(config.KIND_NODEPORTS.values()) - {
        config.KIND_NODEPORTS["kafka_bootstrap"],
        config.KIND_NODEPORTS["kafka_broker_0"],
    }
    for name in ("registry", "cassandra", "prometheus"):
        svc, port = config.KIND_SERVICES[name].split(":")
        assert int(port) in {p["port"] for p in services[svc]["spec"]["ports"]}, name


def test_images_and_versions_match_config():
    images = {c["image"] for _, c in containers()}
    assert images == {
        config.APICURIO_IMAGE,
        config.CASSANDRA_IMAGE,
        config.PROMETHEUS_IMAGE,
        config.PRODUCER_IMAGE,
        config.SPARK_IMAGE,
        config.CURL_IMAGE,
        config.KUBECTL_IMAGE,
    }
    assert config.CASSANDRA_IMAGE.endswith(config.CASSANDRA_VERSION) and config.APICURIO_IMAGE.endswith(
        config.APICURIO_VERSION
    )
    init = next(c for _, c in containers() if c["image"] == config.CURL_IMAGE)
    assert f"jmx_prometheus_javaagent-{config.JMX_EXPORTER_VERSION}.jar" in init["command"][-1]
    values = yaml.safe_load(kind.GRAFANA_VALUES.read_text())
    assert values["image"]["tag"] == config.GRAFANA_IMAGE_TAG and config.GRAFANA_IMAGE_TAG.startswith("12.")
    assert values["env"]["GF_PLUGINS_PREINSTALL_SYNC"] == f"{config.CASSANDRA_PLUGIN}@{config.CASSANDRA_PLUGIN_VERSION}"
    assert f"/{config.STRIMZI_VERSION}/" in config.STRIMZI_INSTALL_URL and "latest" not in config.STRIMZI_INSTALL_URL
    dockerfile = (K8S / "images" / "spark" / "Dockerfile").read_text()
    assert f"FROM {config.SPARK_BASE_IMAGE}\n" in dockerfile
    assert f"pyspark.__version__ == '{config.SPARK_VERSION}'" in dockerfile
    assert config.SPARK_IMAGE in dockerfile


def test_cassandra_snapshot_cronjob_snapshots_the_lab_keyspace_with_least_rights():
    cron = objects("CronJob")["cassandra-snapshot"]
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    assert c["image"] == config.KUBECTL_IMAGE and config.KUBECTL_IMAGE.endswith(f"v{config.KUBERNETES_VERSION}")
    sts = objects("StatefulSet")["cassandra"]
    pod_name = f"{sts['metadata']['name']}-0"
    assert c["command"][:3] == ["kubectl", "exec", pod_name]
    script = c["command"][-1]
    assert f'nodetool snapshot -t "$tag" {config.KEYSPACE}\n' in script
    assert f"nodetool clearsnapshot --older-than 7d --all -- {config.KEYSPACE}\n" in script  # syntax tried on 5.0.8
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    account = pod["serviceAccountName"]
    (binding,) = [
        b
        for b in objects("RoleBinding").values()
        if any(x["kind"] == "ServiceAccount" and x["name"] == account for x in b["subjects"])
    ]
    rules = objects("Role")[binding["roleRef"]["name"]]["rules"]
    assert all(r["resourceNames"] == [pod_name] for r in rules), "the job may touch the Cassandra pod only"
    assert {v for r in rules for v in r["verbs"]} == {"get", "create"}
    assert {r for rule in rules for r in rule["resources"]} == {"pods", "pods/exec"}


def test_archive_component_matches_the_local_archive():
    from lab.services import connect

    scram = K8S / "tests" / "kind-with-kafka-scram"
    kc = objects("KafkaConnect", scram)["archive"]
    assert kc["spec"]["version"] == config.KAFKA_VERSION and kc["spec"]["image"] == config.CONNECT_IMAGE
    assert kc["spec"]["bootstrapServers"] == config.KIND_SERVICES["kafka"]
    assert kc["metadata"]["annotations"]["strimzi.io/use-connector-resources"] == "true"
    dockerfile = (K8S / "images" / "connect" / "Dockerfile").read_text()
    assert f"FROM {config.CONNECT_BASE_IMAGE}\n" in dockerfile
    assert "COPY .lab/jars/iceberg/ /opt/kafka/plugins/" in dockerfile
    connector = objects("KafkaConnector", scram)[config.ARCHIVE_CONNECTOR]
    assert connector["metadata"]["labels"]["strimzi.io/cluster"] == "archive"
    local = connect.connector_config()
    assert connector["spec"]["class"] == local.pop("connector.class") and connector["spec"]["tasksMax"] == 1
    here = {k: str(v) for k, v in connector["spec"]["config"].items()}
    site = {
        "iceberg.catalog.uri",
        "iceberg.catalog.s3.endpoint",
        "iceberg.catalog.s3.access-key-id",
        "iceberg.catalog.s3.secret-access-key",
        "iceberg.catalog.s3.staging-dir",  # B3: on the PVC in the pod (Strimzi's /tmp is 5 MiB); the host's /tmp locally
    }  # where things are in the cluster; everything else the same
    assert {k: v for k, v in here.items() if k not in site} == {
        k: v for k, v in local.items() if k not in site | {"name", "tasks.max"}
    }
    assert here["iceberg.catalog.s3.access-key-id"].startswith("${env:")  # keys never in the connector's config
    assert config.ARCHIVE_CONTROL_TOPIC in objects("KafkaTopic", scram)
    store = objects("Deployment", scram)["s3proxy"]["spec"]["template"]["spec"]
    assert store["containers"][0]["image"] == config.JRE_IMAGE
    assert store["initContainers"][0]["image"] == config.CURL_IMAGE
    assert (
        f"/s3proxy/{config.S3PROXY_VERSION}/s3proxy-{config.S3PROXY_VERSION}-jar-with-dependencies.jar"
        in store["initContainers"][0]["command"][-1]
    )
    assert "mkdir -p -m 700 /data/" + config.ARCHIVE_BUCKET in store["containers"][0]["args"][0]
    # B3: Strimzi's /tmp is a 5 MiB memory volume by default; Iceberg's S3FileIO stages whole data files there
    assert kc["spec"]["template"]["pod"]["tmpDirSizeLimit"] == "512Mi"
    assert here["iceberg.catalog.s3.staging-dir"] == "/var/lib/archive/staging"  # on the PVC, not in /tmp
    assert {"KafkaConnect", "KafkaConnector"} <= set(crd_schemas())  # validated like the rest (041, 047)
    assert manifests.validate([kc, connector], crd_schemas()) == []
    wrong_api = dict(kc, apiVersion="kafka.strimzi.io/v1beta2")
    assert "is not a Strimzi" in manifests.validate([wrong_api], crd_schemas())[0]


def test_cassandra_data_outlives_the_statefulset():
    sts = objects("StatefulSet")["cassandra"]["spec"]
    assert sts["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    readme = (K8S / "README.md").read_text()
    assert "## What the volumes keep" in readme and "deleteClaim" in readme


def test_every_referenced_configmap_and_secret_key_exists():
    maps, secrets = objects("ConfigMap"), objects("Secret")
    values = yaml.safe_load(kind.GRAFANA_VALUES.read_text())
    refs = [("ConfigMap", m["configMap"], None) for m in values["extraConfigmapMounts"]]
    refs += [("Secret", values["admin"]["existingSecret"], values["admin"][k]) for k in ("userKey", "passwordKey")]
    refs += [("Secret", v["secretKeyRef"]["name"], v["secretKeyRef"]["key"]) for v in values["envValueFrom"].values()]
    for _, spec in pod_specs():
        refs += [("ConfigMap", v["configMap"]["name"], None) for v in spec.get("volumes", []) if "configMap" in v]
        for c in spec["containers"]:
            refs += [
                ("Secret", e["valueFrom"]["secretKeyRef"]["name"], e["valueFrom"]["secretKeyRef"]["key"])
                for e in c.get("env", [])
                if "secretKeyRef" in e.get("valueFrom", {})
            ]
    for kind_, name, key in refs:
        pool = maps if kind_ == "ConfigMap" else secrets
        assert name in pool, f"{kind_} {name} is referenced but not rendered"
        if key:
            assert key in pool[name]["data"], f"{kind_} {name} has no key {key}"


def test_generators_list_every_shared_file():
    for folder, pattern in [
        ("grafana", "*.json"),
        ("lab/cql", "*.cql"),
        ("lab/resources/jmx", "*.yaml"),
        ("lab/resources/prometheus", "rules/*.yml"),
    ]:
        gen = yaml.safe_load((REPO / folder / "kustomization.yaml").read_text())["configMapGenerator"]
        listed = {f for g in gen for f in g["files"]}
        on_disk = {
            str(p.relative_to(REPO / folder)) for p in (REPO / folder).glob(pattern) if p.name != "kustomization.yaml"
        }
        assert on_disk and on_disk <= listed, f"{folder}/kustomization.yaml does not list {sorted(on_disk - listed)}"


def test_prometheus_scrapes_the_same_jobs_as_local():
    local = re.findall(r"job_name: (\S+)", (REPO / "lab/resources/prometheus/prometheus.yml.tmpl").read_text())
    labelled = {
        d["metadata"]["labels"]["kappa-lab/scrape"]
        for d in rendered()
        if d["kind"] != "Kafka"
        for d in [d.get("spec", {}).get("template", d)]
        if "kappa-lab/scrape" in d.get("metadata", {}).get("labels", {})
    }
    kafka = objects("Kafka")[config.KAFKA_CLUSTER]["spec"]
    labelled.add(kafka["kafka"]["template"]["pod"]["metadata"]["labels"]["kappa-lab/scrape"])
    kind_only = {kafka["kafkaExporter"]["template"]["pod"]["metadata"]["labels"]["kappa-lab/scrape"]}
    assert set(local) == labelled | {"prometheus"}, "kind and local Prometheus jobs differ"
    assert kind_only == {"kafka-exporter"}
    prom = yaml.safe_load(objects("ConfigMap")["prometheus-config"]["data"]["prometheus.yml"])
    assert prom["rule_files"] == ["/etc/prometheus/rules/*.yml"]


def test_scram_component_secures_the_external_listener_only():
    folder = K8S / "tests" / "kind-with-kafka-scram"
    kafka = objects("Kafka", folder)[config.KAFKA_CLUSTER]["spec"]
    auth = {x["name"]: x.get("authentication", {}).get("type") for x in kafka["kafka"]["listeners"]}
    assert auth == {"plain": None, "external": "scram-sha-512"}
    assert "userOperator" in kafka["entityOperator"]
    assert objects("KafkaUser", folder)[config.KAFKA_USER]["spec"]["authentication"]["type"] == "scram-sha-512"


def test_generated_secrets_are_random_and_never_committed():
    files = kind.ensure_secrets()
    for path in files.values():
        assert subprocess.run(["git", "check-ignore", "-q", str(path)], cwd=REPO).returncode == 0, f"{path} not ignored"
    tracked = subprocess.run(["git", "ls-files", "k8s"], cwd=REPO, capture_output=True, text=True).stdout
    assert ".secrets" not in tracked
    values = kind.secret_values("cassandra-auth")
    assert len(values["password"]) >= 20 and values["password"] != values["admin-password"] != "cassandra"
    assert kind.secret_values("grafana-admin")["admin-password"] not in ("admin", "")


def test_node_port_services_expose_only_mapped_ports():
    """A NodePort Service gives every port a NodePort: one without a pinned, host-mapped nodePort gets a random one."""
    mapped = set(config.KIND_NODEPORTS.values())
    for name, svc in objects("Service").items():
        if svc["spec"].get("type") == "NodePort":
            for port in svc["spec"]["ports"]:
                assert port.get("nodePort") in mapped, f"Service/{name} port {port['name']}: its NodePort is not mapped"
    mgmt = objects("Service")["apicurio-registry-management"]
    assert mgmt["spec"].get("type", "ClusterIP") == "ClusterIP" and [p["port"] for p in mgmt["spec"]["ports"]] == [9000]


def test_registry_has_the_local_settings():
    """The registry Deployment sets every apicurio.* property the local process sets (as env), with the same value
    except the target's own addresses and paths; and no build-time Quarkus property (ignored at run time)."""
    from lab.services import schema_registry

    env = {
        e["name"]: e.get("value")
        for e in objects("Deployment")["apicurio-registry"]["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    per_target = {
        "apicurio.kafkasql.bootstrap.servers",
        "apicurio.storage.snapshot.location",
        "apicurio.import.work-dir",
    }
    for key, value in schema_registry._system_properties(Path("/tmp")).items():
        var = re.sub(r"[.-]", "_", key).upper()
        if key.startswith("apicurio.") and key not in per_target:
            assert env.get(var) == value, f"{var} is {env.get(var)!r} on kind, {value!r} locally"
    build_time = {"QUARKUS_MANAGEMENT_ENABLED", "QUARKUS_HTTP_ROOT_PATH", "QUARKUS_DATASOURCE_DB_KIND"}
    assert not build_time & set(env), f"build-time properties do nothing at run time: {build_time & set(env)}"


def test_grafana_chart_is_the_maintained_one():
    """grafana/helm-charts is frozen (deprecated 2026-01-30); the chart lives on in grafana-community/helm-charts."""
    deprecated = {"https://grafana.github.io/helm-charts"}
    assert config.GRAFANA_CHART_REPO not in deprecated
    assert config.GRAFANA_CHART_REPO == "https://grafana-community.github.io/helm-charts"
    readme = (K8S / "README.md").read_text()
    assert f"--repo {config.GRAFANA_CHART_REPO} --version {config.GRAFANA_CHART_VERSION}" in readme
    values = yaml.safe_load(kind.GRAFANA_VALUES.read_text())
    assert "plugins" not in values, "the chart's plugins: value sets the deprecated GF_INSTALL_PLUGINS"


def test_docs_name_only_lab_functions_that_exist():
    """`lab.module.name` in a committed Markdown file must exist (k8s/components/*/README.md named a missing one).

    Docs use the notebooks' short names (`lab.produce`), which lab/__init__.py maps to their layer."""
    import lab

    files = subprocess.run(["git", "ls-files", "*.md"], cwd=REPO, capture_output=True, text=True).stdout.split()
    missing = []
    for f in files:
        for mod, attr in re.findall(r"\blab\.([a-z_]+)\.([A-Za-z_]+)", (REPO / f).read_text()):
            try:
                ok = hasattr(getattr(lab, mod), attr)
            except (AttributeError, ModuleNotFoundError):
                ok = False
            if not ok:
                missing.append(f"{f}: lab.{mod}.{attr}")
    assert not missing, missing


def test_the_producer_is_a_job_that_runs_once():
    """A Deployment's pod restarts when `lab produce` finishes and sends the month again; a Job runs it once."""
    assert "producer" not in objects("Deployment")
    job = objects("Job")["producer"]
    assert job["spec"]["backoffLimit"] == 0 and job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert kube.READY["producer"] == [("batch/v1", "Job", "producer")]


def test_the_apps_are_deployed_idle():
    """The in-cluster producer and Spark job do not write into taxi-trips / kappa until a notebook starts them."""
    assert objects("Deployment")["spark-stream"]["spec"]["replicas"] == 0
    assert objects("Job")["producer"]["spec"]["suspend"] is True
