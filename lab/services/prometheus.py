"""Prometheus (the Debian package's binary, run by the lab, not by systemd) scraping every lab exporter."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from lab import config
from lab.errors import LabError, ToolMissing
from lab.services import target
from lab.services.service import Service

NAME = "prometheus"
RESOURCES = config.RESOURCES / "prometheus"
INSTALL_HINT = (
    "Install it: `sudo apt-get update && sudo apt-get install -y prometheus` (Debian/Ubuntu), "
    "or put a prometheus 2.x binary on PATH"
)
MAX_SCRAPE_TIMEOUT_S = 4.0  # a scrape may take this long, but never longer than the interval (Prometheus refuses)
_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def seconds(duration: str) -> float:
    """A Prometheus duration ("500ms", "5s", "1m30s") in seconds.

    >>> seconds("1m30s"), seconds("500ms")
    (90.0, 0.5)
    """
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)", duration)
    if not parts or "".join(n + u for n, u in parts) != duration:
        raise LabError(f"not a Prometheus duration: {duration!r}")
    return float(sum(float(n) * _UNIT_S[u] for n, u in parts))


def scrape_timeout(scrape_interval: str) -> str:
    """The scrape timeout for an interval: 4 s, or the interval itself when shorter.

    >>> scrape_timeout("5s"), scrape_timeout("1s"), scrape_timeout("500ms")
    ('4s', '1s', '500ms')
    """
    return scrape_interval if seconds(scrape_interval) < MAX_SCRAPE_TIMEOUT_S else f"{MAX_SCRAPE_TIMEOUT_S:g}s"


def data_dir() -> Path:
    """The TSDB folder (deleted by `lab down --purge`)."""
    return process().home / "data"


def prometheus_url() -> str:
    """Prometheus's HTTP root for the selected target (UI, /api/v1/query)."""
    return target.current().address(NAME)


def binary() -> str:
    """The prometheus executable (/usr/bin/prometheus from the Debian package, or one on PATH)."""
    found = shutil.which("prometheus") or ("/usr/bin/prometheus" if Path("/usr/bin/prometheus").exists() else None)
    if not found:
        raise ToolMissing("prometheus", "the prometheus binary is not installed", INSTALL_HINT)
    return found


def write_config(scrape_interval: str = "5s", evaluation_interval: str = "5s") -> Path:
    """Render prometheus.yml from the template (ports after LAB_PORT_OFFSET); returns its path."""
    values = dict(
        config.ports().__dict__,
        scrape_interval=scrape_interval,
        scrape_timeout=scrape_timeout(scrape_interval),
        evaluation_interval=evaluation_interval,
        rules_dir=RESOURCES / "rules",
    )
    return process().render(RESOURCES / "prometheus.yml.tmpl", "prometheus.yml", **values)


def _launch(proc) -> tuple[list[str], None]:
    """Prometheus's command line with our rendered config."""
    exe = binary()
    cfg = write_config()
    return [
        exe,
        f"--config.file={cfg}",
        f"--storage.tsdb.path={data_dir()}",
        f"--web.listen-address=127.0.0.1:{config.ports().prometheus}",
        "--web.enable-lifecycle",
        "--storage.tsdb.retention.time=2d",
        "--log.level=warn",
    ], None


def reload(scrape_interval: str = "5s", evaluation_interval: str = "5s") -> None:
    """Re-render the config with these intervals and ask the running Prometheus to reload it (rules included)."""
    import requests

    write_config(scrape_interval, evaluation_interval)
    r = requests.post(prometheus_url() + "/-/reload", timeout=10)
    if not r.ok:
        raise LabError(f"prometheus refused the reload (HTTP {r.status_code}): {r.text.strip()[:300]}")


def _probe() -> bool:
    """Raises with the reason unless /-/ready answers 200."""
    import requests

    r = requests.get(prometheus_url() + "/-/ready", timeout=2)
    if not r.ok:
        raise RuntimeError(f"/-/ready answered {r.status_code}: {r.text.strip()[:200]}")
    return True


def api(path: str, timeout: float = 30.0, **params) -> dict:
    """GET /api/v1/<path> of the selected target's Prometheus; returns its `data`, LabError with Prometheus's reason."""
    import requests

    r = requests.get(f"{prometheus_url()}/api/v1/{path.lstrip('/')}", params=params, timeout=timeout)
    body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
    if not r.ok or body.get("status") != "success":
        what = f"query {params['query']!r}" if "query" in params else f"/api/v1/{path.lstrip('/')}"
        reason = f"{body.get('errorType', '')}: {body.get('error')}" if body else r.text[:300]
        raise LabError(f"prometheus {what} failed (HTTP {r.status_code}): {reason}")
    return body["data"]


def query(promql: str, timeout: float = 10.0, at: float | None = None) -> list[dict]:
    """Run an instant PromQL query (now, or at epoch `at`); returns the `result` list
    ([{'metric': {...}, 'value': [ts, '1']}, …])."""
    params = {"query": promql} if at is None else {"query": promql, "time": at}
    return api("query", timeout=timeout, **params)["result"]


def targets() -> dict[str, str]:
    """Health of every active scrape target: job name → 'up' / 'down' / 'unknown'."""
    return {t["labels"]["job"]: t["health"] for t in api("targets", timeout=10)["activeTargets"]}


class Prometheus(Service):
    """Prometheus with the lab's scrape config and rules; on kind, its Deployment."""

    name = NAME
    start_timeout, poll_interval, stop_timeout = 60.0, 0.25, 30.0
    launch, probe = staticmethod(_launch), staticmethod(_probe)

    def ports(self) -> tuple[int, ...]:
        p = config.ports()
        return (p.prometheus,)

    def refresh(self) -> None:
        """Ours already runs: it re-reads its rule files (the repository's, which a `git pull` may have changed) and
        keeps its config."""
        import requests

        r = requests.post(prometheus_url() + "/-/reload", timeout=10)
        if not r.ok:
            raise LabError(f"prometheus refused to reload its rules (HTTP {r.status_code}): {r.text.strip()[:300]}")


SERVICE = Prometheus()
process, start, stop = SERVICE.process, SERVICE.start, SERVICE.stop
ready, wait_ready = SERVICE.ready, SERVICE.wait_ready
