"""The real Kubernetes API behind lab.kube: a few calls on the Python client's DynamicClient and CoreV1Api."""

from __future__ import annotations

from lab.errors import KindError


class KubeClient:
    """The handful of API calls lab.kube needs (tests replace this class with a fake of the same methods).

    Parameters
    ----------
    context : str
        kubeconfig context, e.g. ``kind-kappa-lab`` (what `kind create cluster` writes).
    kubeconfig : path, optional
        the kubeconfig file (default: $KUBECONFIG or ~/.kube/config).
    """

    def __init__(self, context: str, kubeconfig=None):
        from kubernetes import client, config
        from kubernetes.config.config_exception import ConfigException
        from kubernetes.dynamic import DynamicClient

        try:
            api = config.new_client_from_config(config_file=str(kubeconfig) if kubeconfig else None, context=context)
        except (ConfigException, FileNotFoundError) as exc:
            raise KindError(
                f"no kubeconfig context {context!r} ({exc}): create the cluster with "
                f"`lab --target kind up` (or `kind create cluster --config k8s/kind-config.yaml`)"
            ) from exc
        self.context = context
        self.api = api
        try:
            self.dynamic = DynamicClient(api)  # reads the API's discovery documents
        except Exception as exc:  # noqa: BLE001 - urllib3/ApiException: the cluster is not answering
            raise KindError(
                f"the cluster of context {context!r} does not answer ({type(exc).__name__}): is Docker "
                f"running and the kind cluster up? `kind get clusters`, else `lab --target kind up`"
            ) from exc
        self.core = client.CoreV1Api(api)

    def _resource(self, api_version: str, kind: str):
        from kubernetes.dynamic.exceptions import ResourceNotFoundError

        try:
            return self.dynamic.resources.get(api_version=api_version, kind=kind)
        except ResourceNotFoundError:
            self.dynamic.resources.invalidate_cache()  # a CRD applied a moment ago
            try:
                return self.dynamic.resources.get(api_version=api_version, kind=kind)
            except ResourceNotFoundError as exc:
                raise KindError(
                    f"the cluster does not know {kind} ({api_version}): is its operator installed?"
                ) from exc

    def apply(self, doc: dict, *, namespace: str, field_manager: str) -> dict:
        """Server-side apply one object (namespaced ones into `namespace` unless they name theirs)."""
        res = self._resource(doc["apiVersion"], doc["kind"])
        body = dict(doc, metadata=dict(doc["metadata"]))
        if res.namespaced:
            body["metadata"].setdefault("namespace", namespace)
        else:
            body["metadata"].pop("namespace", None)
        out = self.dynamic.server_side_apply(
            res,
            body=body,
            namespace=body["metadata"].get("namespace"),
            field_manager=field_manager,
            force_conflicts=True,
        )
        return out.to_dict()

    def get(self, api_version: str, kind: str, name: str, namespace: str) -> dict | None:
        """The object as a dict, or None when it does not exist."""
        from kubernetes.dynamic.exceptions import NotFoundError

        res = self._resource(api_version, kind)
        try:
            obj = res.get(name=name, namespace=namespace if res.namespaced else None)
        except NotFoundError:
            return None
        return obj.to_dict()

    def delete(self, api_version: str, kind: str, name: str, namespace: str, propagation: str = "Background") -> bool:
        """Delete an object (its dependents by `propagation`); False when it did not exist."""
        from kubernetes.dynamic.exceptions import NotFoundError

        res = self._resource(api_version, kind)
        try:
            res.delete(
                name=name,
                namespace=namespace if res.namespaced else None,
                body={"propagationPolicy": propagation},
            )
        except NotFoundError:
            return False
        return True

    def list_all(self, api_version: str, kind: str) -> list[dict]:
        """Every object of a kind in every namespace (or of a cluster-scoped kind), as dicts."""
        return [o.to_dict() for o in self._resource(api_version, kind).get().items]

    def patch_status(self, api_version: str, kind: str, name: str, namespace: str, status: dict) -> dict:
        """Merge `status` into an object's status subresource (what a controller writes)."""
        res = self._resource(api_version, kind)
        out = self.dynamic.patch(
            res.status,
            body={"status": status},
            name=name,
            namespace=namespace if res.namespaced else None,
            content_type="application/merge-patch+json",
        )
        return out.to_dict()

    def events(self, kind: str, name: str, namespace: str) -> list[str]:
        """Recent events of an object, oldest first, as 'Type Reason: message' lines."""
        sel = f"involvedObject.kind={kind},involvedObject.name={name}"
        items = self.core.list_namespaced_event(namespace, field_selector=sel).items
        items.sort(key=lambda e: str(e.last_timestamp or e.event_time or e.metadata.creation_timestamp))
        return [f"{e.type} {e.reason}: {e.message}" for e in items]

    def pod_warnings(self, owner: str, namespace: str) -> list[str]:
        """Warning events of the pods named after `owner` (a Deployment's, StatefulSet's or Job's pods), oldest first,
        as 'pod: Reason: message' lines."""
        items = self.core.list_namespaced_event(namespace, field_selector="involvedObject.kind=Pod,type=Warning").items
        items = [e for e in items if e.involved_object.name.startswith(f"{owner}-")]
        items.sort(key=lambda e: str(e.last_timestamp or e.event_time or e.metadata.creation_timestamp))
        return [f"{e.involved_object.name}: {e.reason}: {e.message}" for e in items]

    def pods(self, selector: str, namespace: str) -> list[str]:
        """Names of the pods matching a label selector."""
        return [p.metadata.name for p in self.core.list_namespaced_pod(namespace, label_selector=selector).items]

    def running_pods(self, selector: str, namespace: str) -> list[str]:
        """Names of the pods matching a label selector that have not ended (not Succeeded/Failed, or still there
        while being deleted)."""
        pods = self.core.list_namespaced_pod(namespace, label_selector=selector).items
        return [
            p.metadata.name
            for p in pods
            if p.metadata.deletion_timestamp or (p.status and p.status.phase not in ("Succeeded", "Failed"))
        ]

    def log(self, pod: str, namespace: str, tail: int) -> str:
        """The last `tail` lines of a pod's (first container's) log."""
        return self.core.read_namespaced_pod_log(pod, namespace, tail_lines=tail)

    def nodes(self) -> list[dict]:
        """The cluster's nodes as dicts."""
        return [n.to_dict() for n in self.core.list_node().items]

    def list(self, api_version: str, kind: str, namespace: str) -> list[dict]:
        """Every object of a kind in a namespace, as dicts."""
        res = self._resource(api_version, kind)
        return [o.to_dict() for o in res.get(namespace=namespace).items]
