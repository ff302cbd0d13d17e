"""The kind manifests offline: the kustomize layout, the rendered objects, and their validation against pinned schemas."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from lab import config
from lab.deploy import kind
from lab.deploy.kube import ordered, service_of
from lab.errors import ManifestError

STRIMZI_API = config.STRIMZI_API
CRD_FILES = (
    "040-Crd-kafka.yaml",
    "041-Crd-kafkaconnect.yaml",  # components/archive
    "043-Crd-kafkatopic.yaml",
    "044-Crd-kafkauser.yaml",
    "045-Crd-kafkanodepool.yaml",
    "047-Crd-kafkaconnector.yaml",  # components/archive
)
CRD_BASE_URL = (
    f"https://raw.githubusercontent.com/strimzi/strimzi-kafka-operator/{config.STRIMZI_VERSION}"
    "/packaging/install/cluster-operator"
)


def schemas_dir() -> Path:
    """Strimzi's CRDs for offline validation: env LAB_K8S_SCHEMAS, else ../shared/k8s-schemas beside the clone."""
    root = Path(os.environ.get("LAB_K8S_SCHEMAS", config.shared_dir() / "k8s-schemas"))
    return root / f"strimzi-{config.STRIMZI_VERSION}"


def fetch_crds(folder: Path | None = None) -> Path:
    """Download the pinned Strimzi CRDs (the same files as the shared folder) for a machine without them."""
    import requests

    folder = folder or config.lab_home() / "kind" / "schemas" / f"strimzi-{config.STRIMZI_VERSION}"
    folder.mkdir(parents=True, exist_ok=True)
    for name in CRD_FILES:
        if not (folder / name).exists():
            resp = requests.get(f"{CRD_BASE_URL}/{name}", timeout=60)
            if resp.status_code != 200:
                raise ManifestError(f"could not download {CRD_BASE_URL}/{name}: HTTP {resp.status_code}")
            (folder / name).write_text(resp.text)
    return folder


def crd_schemas(folder: Path | None = None) -> dict[str, dict]:
    """kind -> openAPIV3Schema of Strimzi's v1 custom resources; ManifestError saying how to get the files."""
    folder = folder or schemas_dir()
    files = sorted({p.name: p for p in [*folder.glob("install/*-Crd-*.yaml"), *folder.glob("*-Crd-*.yaml")]}.values())
    if not files:
        raise ManifestError(
            f"no Strimzi CRDs in {folder}: put the shared k8s-schemas folder beside the clone, "
            f"set LAB_K8S_SCHEMAS, or call lab.manifests.fetch_crds() (needs network)"
        )
    out = {}
    for path in files:
        crd = yaml.safe_load(path.read_text())
        version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1")
        out[crd["spec"]["names"]["kind"]] = version["schema"]["openAPIV3Schema"]
    return out


def unknown_fields(value, schema: dict, path: str = "") -> list[str]:
    """Fields a CRD schema does not declare: the API server would silently drop them (typos)."""
    if schema.get("x-kubernetes-preserve-unknown-fields") or not isinstance(value, (dict, list)):
        return []
    if isinstance(value, list):
        return [u for i, v in enumerate(value) for u in unknown_fields(v, schema.get("items", {}), f"{path}[{i}]")]
    props, extra = schema.get("properties"), schema.get("additionalProperties")
    if props is None:
        return (
            [u for k, v in value.items() for u in unknown_fields(v, extra, f"{path}.{k}")]
            if isinstance(extra, dict)
            else []
        )
    out = []
    for key, v in value.items():
        if key in props:
            out += unknown_fields(v, props[key], f"{path}.{key}")
        elif path or key not in ("apiVersion", "kind", "metadata"):
            out.append(f"{path}.{key}")
    return out


def validate(docs: list[dict], crds: dict[str, dict] | None = None) -> list[str]:
    """Problems of each object: Kubernetes schema (strict, config.KUBERNETES_VERSION) or Strimzi CRD schema. [] = valid."""
    import jsonschema
    import kubernetes_validate

    problems = []
    for doc in docs:
        ref = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        if doc.get("apiVersion", "").startswith("kafka.strimzi.io/"):
            crds = crds if crds is not None else crd_schemas()
            if doc["apiVersion"] != STRIMZI_API or doc["kind"] not in crds:
                problems.append(
                    f"{ref}: {doc['apiVersion']} {doc['kind']} is not a Strimzi {config.STRIMZI_VERSION} resource"
                )
                continue
            for err in jsonschema.Draft7Validator(crds[doc["kind"]]).iter_errors(doc):
                problems.append(f"{ref}: {err.message} at {'.'.join(map(str, err.absolute_path)) or '/'}")
            problems += [f"{ref}: unknown field {f}" for f in unknown_fields(doc, crds[doc["kind"]])]
        else:
            try:
                kubernetes_validate.validate(doc, config.KUBERNETES_VERSION, strict=True)
            except kubernetes_validate.ValidationError as exc:
                problems.append(f"{ref}: {exc.message} at {'.'.join(map(str, exc.path)) or '/'}")
            except kubernetes_validate.SchemaNotFoundError as exc:
                problems.append(f"{ref}: {exc.message}")
    return problems


def objects(overlay: str = "kind") -> pandas.DataFrame:  # noqa: F821
    """The rendered overlay as a table in apply order: service, kind, name, apiVersion."""
    import pandas as pd

    rows = [
        {
            "service": service_of(d) or "(shared)",
            "kind": d["kind"],
            "name": d["metadata"]["name"],
            "apiVersion": d["apiVersion"],
        }
        for d in ordered(kind.render(overlay))
    ]
    return pd.DataFrame(rows)


def layout(folder: Path | None = None, indent: str = "") -> list[str]:
    """The kustomization tree of an overlay: each kustomization with its files and the folders it includes."""
    folder = (folder or kind.overlay_dir()).resolve()
    lines = [f"{indent}{folder.relative_to(config.REPO_ROOT)}/"]
    k = yaml.safe_load((folder / "kustomization.yaml").read_text())
    for what, key in (("ConfigMap", "configMapGenerator"), ("Secret", "secretGenerator")):
        for gen in k.get(key, []):
            lines.append(f"{indent}  {what} {gen['name']} <- {', '.join(gen.get('files', []) + gen.get('envs', []))}")
    for entry in k.get("resources", []) + k.get("components", []):
        path = (folder / entry).resolve()
        lines += layout(path, indent + "  ") if path.is_dir() else [f"{indent}  {entry}"]
    return lines


def workflow_steps(name: str = "kind.yml") -> list[str]:
    """The step names of a GitHub Actions workflow in .github/workflows (what CI does, in order)."""
    wf = yaml.safe_load((config.REPO_ROOT / ".github" / "workflows" / name).read_text())
    return [
        f"{job}: {step.get('name') or step.get('uses') or step.get('run', '').splitlines()[0]}"
        for job, spec in wf["jobs"].items()
        for step in spec["steps"]
    ]
