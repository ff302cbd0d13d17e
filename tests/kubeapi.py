"""The fake cluster (tests/kubefake.py) behind a real HTTP API on 127.0.0.1, for the kubernetes client in KubeClient.

It speaks the parts of the Kubernetes REST API that lab.kubeclient uses: discovery (/version, /api, /apis and each
group version's resource list), server-side apply (PATCH application/apply-patch+yaml), GET of an object or a list,
events, pods, pod logs and nodes; errors are Status objects with the real codes (404 NotFound, 422 Invalid).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self

import yaml
from kubefake import ApiError, FakeCluster

from lab import config
from lab.errors import KindError


def _status(code: int, reason: str, message: str) -> dict:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


class _Handler(BaseHTTPRequestHandler):
    cluster: FakeCluster
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _route(self) -> tuple[str, list[str], dict]:
        url = urllib.parse.urlparse(self.path)
        return url.path, [p for p in url.path.split("/") if p], dict(urllib.parse.parse_qsl(url.query))

    def _target(self, parts: list[str]):
        """(apiVersion, kind, namespace, name, subresource) of a resource path, or None."""
        if parts[:2] == ["api", "v1"]:
            gv, rest = "v1", parts[2:]
        elif parts[:1] == ["apis"] and len(parts) >= 3:
            gv, rest = f"{parts[1]}/{parts[2]}", parts[3:]
        else:
            return None
        ns = None
        if len(rest) >= 3 and rest[0] == "namespaces":
            ns, rest = rest[1], rest[2:]
        if not rest:
            return None
        by_plural = {(a, plural): k for (a, k), (plural, _) in self.cluster.kinds().items()}
        extra = {("v1", "events"): "Event", ("v1", "nodes"): "Node"}
        kind = by_plural.get((gv, rest[0])) or extra.get((gv, rest[0]))
        if kind is None:
            return None
        return gv, kind, ns, rest[1] if len(rest) > 1 else None, rest[2] if len(rest) > 2 else None

    def do_GET(self) -> None:
        path, parts, query = self._route()
        c = self.cluster
        if path == "/version":
            major, minor, _ = config.KUBERNETES_VERSION.split(".")
            return self._send(200, {"major": major, "minor": minor, "gitVersion": f"v{config.KUBERNETES_VERSION}"})
        if path == "/api":
            return self._send(200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []})
        kinds = c.kinds()
        if path == "/apis":
            groups = {}
            for api_version, _ in kinds:
                if "/" in api_version:
                    group, version = api_version.split("/")
                    gv = {"groupVersion": api_version, "version": version}
                    groups[group] = {"name": group, "versions": [gv], "preferredVersion": gv}
            return self._send(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": list(groups.values())})
        gv = (
            "v1"
            if parts == ["api", "v1"]
            else "/".join(parts[1:])
            if parts[:1] == ["apis"] and len(parts) == 3
            else None
        )
        if gv:
            resources = [
                {
                    "name": plural,
                    "singularName": kind.lower(),
                    "namespaced": ns,
                    "kind": kind,
                    "verbs": ["get", "list", "patch", "create", "delete"],
                }
                for (a, kind), (plural, ns) in kinds.items()
                if a == gv
            ]
            if gv == "v1":
                resources += [
                    {"name": "events", "singularName": "event", "namespaced": True, "kind": "Event", "verbs": ["list"]},
                    {"name": "nodes", "singularName": "node", "namespaced": False, "kind": "Node", "verbs": ["list"]},
                    {"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod", "verbs": ["get"]},
                ]
            return self._send(
                200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}
            )
        target = self._target(parts)
        if target is None:
            return self._send(404, _status(404, "NotFound", "the server could not find the requested resource"))
        api_version, kind, ns, name, sub = target
        if kind == "Event":
            items = []
            selector = dict(kv.split("=", 1) for kv in query.get("fieldSelector", "").split(",") if "=" in kv)
            for i, line in enumerate(
                c.events(selector.get("involvedObject.kind"), selector.get("involvedObject.name"), ns)
            ):
                type_, rest = line.split(" ", 1)
                reason, message = rest.split(": ", 1)
                items.append(
                    {
                        "metadata": {
                            "name": f"e{i}",
                            "namespace": ns,
                            "creationTimestamp": f"2026-01-01T00:00:{i:02d}Z",
                        },
                        "type": type_,
                        "reason": reason,
                        "message": message,
                        "involvedObject": {
                            "kind": selector.get("involvedObject.kind"),
                            "name": selector.get("involvedObject.name"),
                        },
                    }
                )
            return self._send(200, {"kind": "EventList", "apiVersion": "v1", "metadata": {}, "items": items})
        if kind == "Node":
            nodes = [
                {
                    "metadata": {"name": n["metadata"]["name"]},
                    "status": {
                        "nodeInfo": {
                            "kubeletVersion": n["status"]["node_info"]["kubelet_version"],
                            "osImage": n["status"]["node_info"]["os_image"],
                            "containerRuntimeVersion": n["status"]["node_info"]["container_runtime_version"],
                        }
                    },
                }
                for n in c.nodes()
            ]
            return self._send(200, {"kind": "NodeList", "apiVersion": "v1", "metadata": {}, "items": nodes})
        if kind == "Pod":
            if sub == "log":
                data = c.log(name, ns, int(query.get("tailLines", 100))).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return None
            pods = [{"metadata": {"name": p, "namespace": ns}} for p in c.pods(query.get("labelSelector", ""), ns)]
            return self._send(200, {"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": pods})
        if name is None:
            return self._send(
                200,
                {
                    "kind": f"{kind}List",
                    "apiVersion": api_version,
                    "metadata": {},
                    "items": c.list(api_version, kind, ns),
                },
            )
        obj = c.get(api_version, kind, name, ns)
        if obj is None:
            return self._send(404, _status(404, "NotFound", f'{kinds[(api_version, kind)][0]} "{name}" not found'))
        return self._send(200, obj)

    def do_PATCH(self) -> None:
        _, parts, query = self._route()
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Type") != "application/apply-patch+yaml":
            return self._send(415, _status(415, "UnsupportedMediaType", "only server-side apply is served"))
        if "fieldManager" not in query:
            return self._send(
                422,
                _status(
                    422,
                    "Invalid",
                    "PatchOptions.meta.k8s.io is invalid: fieldManager: Required value: is required for apply patch",
                ),
            )
        target = self._target(parts)
        if target is None:
            return self._send(404, _status(404, "NotFound", "the server could not find the requested resource"))
        api_version, kind, ns, name, _ = target
        doc = yaml.safe_load(body)
        if (doc.get("apiVersion"), doc.get("kind"), doc["metadata"].get("name")) != (api_version, kind, name):
            return self._send(422, _status(422, "Invalid", "the body does not match the URL"))
        if ns and doc["metadata"].get("namespace", ns) != ns:
            return self._send(400, _status(400, "BadRequest", "the namespace of the object does not match the URL"))
        try:
            return self._send(200, self.cluster.apply(doc, namespace=ns or "", field_manager=query["fieldManager"]))
        except ApiError as exc:
            return self._send(exc.status, json.loads(exc.body))
        except KindError as exc:
            return self._send(404, _status(404, "NotFound", str(exc)))


class FakeApiServer:
    """`with FakeApiServer(cluster) as api:` serves `cluster` on 127.0.0.1; api.kubeconfig() points a client there."""

    def __init__(self, cluster: FakeCluster):
        handler = type("Handler", (_Handler,), {"cluster": cluster})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        # the client caches discovery per host in the temp folder: a stale file of an earlier port must not answer
        cache = Path(tempfile.gettempdir()) / f"osrcp-{hashlib.md5(self.url.encode()).hexdigest()}.json"
        cache.unlink(missing_ok=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def kubeconfig(self, path: Path, context: str) -> Path:
        """A kubeconfig with `context` pointing at this server (plain HTTP, no credentials)."""
        path.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "current-context": context,
                    "clusters": [{"name": context, "cluster": {"server": self.url}}],
                    "users": [{"name": context, "user": {}}],
                    "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
                }
            )
        )
        os.chmod(path, 0o600)
        return path
