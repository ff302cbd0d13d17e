"""Prometheus (the Debian package's binary, run by the lab, not by systemd) scraping every lab exporter."""
from __future__ import annotations

import shutil
from pathlib import Path
from string import Template

from lab import config
from lab.deploy import kube
from lab.errors import LabError, ToolMissing
from lab.services import lifecycle
from lab.services.process import LocalProcess

NAME = "prometheus"
RESOURCES = config.RESOURCES / "prometheus"
INSTALL_HINT = ("Install it: `sudo apt-get update && sudo apt-get install -y prometheus` (Debian/Ubuntu), "
                "or put a prometheus 2.x binary on PATH")
_procs: dict[tuple, LocalProcess] = {}


def process() -> LocalProcess:
    """The local Prometheus process handle (one per LAB_HOME and port offset)."""
    p = config.ports()
    key = (str(config.lab_home()), p.prometheus)
    if key not in _procs:
        _procs[key] = LocalProcess(NAME, (p.prometheus,))
    return _procs[key]


def data_dir() -> Path:
    """The TSDB folder (deleted by `lab down --purge`)."""
    return process().home / "data"


def prometheus_url() -> str:
    """Prometheus's HTTP root for the selected target (UI, /api/v1/query)."""
    if config.target() == "kind":
        return kube.endpoint(NAME)
    return f"http://127.0.0.1:{config.ports().prometheus}"


def binary() -> str:
    """The prometheus executable (/usr/bin/prometheus from the Debian package, or one on PATH)."""
    found = shutil.which("prometheus") or ("/usr/bin/prometheus" if Path("/usr/bin/prometheus").exists() else None)
    if not found:
        raise ToolMissing("prometheus", "the prometheus binary is not installed", INSTALL_HINT)
    return found


def write_config(scrape_interval: str = "5s", evaluation_interval: str = "5s") -> Path:
    """Render prometheus.yml from the template (ports after LAB_PORT_OFFSET); returns its path."""
    home = process().home
    home.mkdir(parents=True, exist_ok=True)
    # the timeout may not exceed the interval (tests scrape every 1 s)
    timeout = scrape_interval if scrape_interval.endswith("s") and not scrape_interval.endswith("ms") \
        and float(scrape_interval[:-1]) < 4 else "4s"
    values = dict(config.ports().__dict__, scrape_interval=scrape_interval, scrape_timeout=timeout,
                  evaluation_interval=evaluation_interval, rules_dir=RESOURCES / "rules")
    text = Template((RESOURCES / "prometheus.yml.tmpl").read_text()).substitute(values)
    (home / "prometheus.yml").write_text(text)
    return home / "prometheus.yml"


def _launch(proc) -> tuple[list[str], None]:
    """Prometheus's command line with our rendered config."""
    exe = binary()
    cfg = write_config()
    return [exe, f"--config.file={cfg}", f"--storage.tsdb.path={data_dir()}",
            f"--web.listen-address=127.0.0.1:{config.ports().prometheus}", "--web.enable-lifecycle",
            "--storage.tsdb.retention.time=2d", "--log.level=warn"], None


def start(timeout: float = 60.0) -> int | None:
    """Start Prometheus and wait for /-/ready; returns the pid. A no-op when ours already runs."""
    return lifecycle.start(NAME, process(), _launch, _probe, timeout, 0.25)


def reload() -> None:
    """Re-render the config and ask the running Prometheus to reload it (rules included)."""
    import requests

    write_config()
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


def ready() -> bool:
    """One quick probe of /-/ready."""
    return lifecycle.ready(_probe)


def wait_ready(timeout: float = 60.0) -> None:
    """Poll /-/ready with a bound; ServiceStartError if the process dies, ServiceNotReady on timeout."""
    lifecycle.wait_ready(NAME, process(), _probe, timeout, 0.25)


def query(promql: str, timeout: float = 10.0) -> list[dict]:
    """Run an instant PromQL query; returns the `result` list ([{'metric': {...}, 'value': [ts, '1']}, …])."""
    import requests

    r = requests.get(prometheus_url() + "/api/v1/query", params={"query": promql}, timeout=timeout)
    body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
    if not r.ok or body.get("status") != "success":
        raise LabError(f"prometheus query {promql!r} failed (HTTP {r.status_code}): {body.get('error', r.text[:300])}")
    return body["data"]["result"]


def targets() -> dict[str, str]:
    """Health of every active scrape target: job name → 'up' / 'down' / 'unknown'."""
    import requests

    body = requests.get(prometheus_url() + "/api/v1/targets", timeout=10).json()
    return {t["labels"]["job"]: t["health"] for t in body["data"]["activeTargets"]}


def stop() -> bool:
    """Stop our Prometheus; True when a process was stopped."""
    return lifecycle.stop(process(), 30)


