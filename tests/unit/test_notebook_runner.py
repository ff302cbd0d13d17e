"""The notebook runner keeps the kernel's own output (JVM logs) out of the terminal (no stack: a tiny notebook)."""

from __future__ import annotations

import json

from lab.lessons import notebooks


def test_kernel_stderr_goes_to_the_log(tmp_path, capfd):
    """Fails when what the kernel process writes to its stderr (as Spark's JVM does) reaches our terminal."""
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {"tags": ["parameters"]},
                "source": "smoke: bool = False  # test",
                "outputs": [],
                "execution_count": None,
                "id": "p",
            },
            {
                "cell_type": "code",
                "metadata": {},
                "source": 'import os\nos.write(2, b"WARN jvm noise\\n")\nprint("for the learner")',
                "outputs": [],
                "execution_count": None,
                "id": "c",
            },
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / "99_tiny.ipynb"
    path.write_text(json.dumps(nb))
    result = notebooks.run(path, {"smoke": True}, out_dir=tmp_path / "out", cell_timeout=120)
    assert result.ok, result.error
    assert "WARN jvm noise" not in capfd.readouterr().err
    assert "WARN jvm noise" in (tmp_path / "out" / "99_tiny.log").read_text()
    cells = json.loads(result.output.read_text())["cells"]
    assert "for the learner" in "".join(cells[-1]["outputs"][0]["text"])


def test_a_check_cell_shows_only_its_verdict(tmp_path):
    """Fails when a cell ending in `grade(...)` also shows `True` (its return value) under the ✅ line."""
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {"tags": ["parameters"]},
                "source": "smoke: bool = False  # test",
                "outputs": [],
                "execution_count": None,
                "id": "p",
            },
            {
                "cell_type": "code",
                "metadata": {},
                "source": "from lab.lessons.exercises import grade\ngrade(lambda: 'fine')",
                "outputs": [],
                "execution_count": None,
                "id": "c",
            },
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / "99_check.ipynb"
    path.write_text(json.dumps(nb))
    result = notebooks.run(path, {"smoke": True}, out_dir=tmp_path / "out", cell_timeout=120)
    assert result.ok, result.error
    outputs = json.loads(result.output.read_text())["cells"][-1]["outputs"]
    assert [o["output_type"] for o in outputs] == ["stream"], outputs
    assert "".join(outputs[0]["text"]) == "✅ fine\n"
