"""Running the week notebooks headless (papermill) for the demo and the tests, and keeping them clean."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from lab import config
from lab.errors import LabError

NOTEBOOK_DIR = config.REPO_ROOT / "notebooks"
EXECUTED_DIR = config.REPO_ROOT / "build" / "executed"
DEMO_DIR = config.REPO_ROOT / "runs"
# The notebooks `make demo` runs, in order (week 08 renders and validates the kind manifests offline on local).
DEMO_WEEKS = ("00", "01", "02", "03", "04", "05", "06", "07", "08", "09")
CELL_TIMEOUT_S = 600


@dataclass
class RunResult:
    """One executed notebook."""

    notebook: str
    output: Path
    seconds: float
    ok: bool
    error: str = ""
    summary: dict = field(default_factory=dict)


def week_notebooks() -> list[Path]:
    """Every numbered week notebook, in order."""
    return sorted(p for p in NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))


def notebook_for(week: str) -> Path:
    """The notebook of a week ("03" or "3")."""
    hits = [p for p in week_notebooks() if p.name.startswith(f"{int(week):02d}_")]
    if not hits:
        raise LabError(f"no notebook for week {week} in {NOTEBOOK_DIR}")
    return hits[0]


def parameters_of(path: Path) -> dict:
    """The parameters a notebook declares (papermill's own inspection)."""
    import papermill

    return papermill.inspect_notebook(str(path))


def run(path: Path, parameters: dict, out_dir: Path = EXECUTED_DIR, cell_timeout: int = CELL_TIMEOUT_S) -> RunResult:
    """Execute a notebook with papermill into `out_dir`; unknown parameter names are an error, not a warning."""
    import papermill

    declared = parameters_of(path)
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise LabError(f"{path.name} has no parameter(s) {unknown}; it declares {sorted(declared)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    output = out_dir / path.name
    start = time.monotonic()
    try:
        papermill.execute_notebook(str(path), str(output), parameters=parameters, kernel_name="python3",
                                   cwd=str(path.parent), execution_timeout=cell_timeout, progress_bar=False)
    except papermill.PapermillExecutionError as exc:
        return RunResult(path.name, output, time.monotonic() - start, False, f"{exc.ename}: {exc.evalue}")
    return RunResult(path.name, output, time.monotonic() - start, True, summary=_summary(output))


def _summary(executed: Path) -> dict:
    """Values a notebook published with `lab.notebooks.publish` (papermill-free: read from the executed JSON)."""
    found = {}
    for cell in json.loads(executed.read_text()).get("cells", []):
        for out in cell.get("outputs", []):
            data = out.get("data", {}).get("application/vnd.kappa-lab.summary+json")
            if data:
                found.update(data)
    return found


def publish(**values) -> None:
    """Record named figures in the notebook output (the demo summary collects them)."""
    from IPython.display import display

    display({"application/vnd.kappa-lab.summary+json": values, "text/plain": ", ".join(f"{k}={v}" for k, v in values.items())},
            raw=True)


def strip_outputs(path: Path) -> bool:
    """Remove outputs and execution counts in place; True when the file changed."""
    nb = json.loads(path.read_text())
    changed = False
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            if cell.get("outputs") or cell.get("execution_count") is not None:
                changed = True
            cell["outputs"], cell["execution_count"] = [], None
    if changed:
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return changed


def demo(weeks=DEMO_WEEKS, smoke: bool = False, out_dir: Path = DEMO_DIR) -> list[RunResult]:
    """Run the pipeline notebooks in order against the selected target and print a summary."""
    results = []
    for week in weeks:
        path = notebook_for(week)
        params = {"target": config.target(), "smoke": smoke}
        print(f"▶ {path.name} …", flush=True)
        res = run(path, params, out_dir=out_dir)
        results.append(res)
        print(f"  {'ok' if res.ok else 'FAILED'} in {res.seconds:.0f}s  {res.summary or ''} {res.error}", flush=True)
        if not res.ok:
            print(f"  the executed notebook with the error is {res.output}")
            break
    return results


def dirty() -> list[str]:
    """The week notebooks that hold outputs (they must be committed without)."""
    found = []
    for path in sorted(NOTEBOOK_DIR.glob("*.ipynb")):
        nb = json.loads(path.read_text())
        if any(c.get("outputs") for c in nb["cells"] if c.get("cell_type") == "code"):
            found.append(path.name)
    return found


def strip_all() -> list[str]:
    """Strip the outputs of every week notebook; returns the names of those changed."""
    return [path.name for path in sorted(NOTEBOOK_DIR.glob("*.ipynb")) if strip_outputs(path)]
