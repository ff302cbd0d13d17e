"""Raises: a typo in a path (the learner's own error, one line)."""

from _overlay import generators

EXERCISE = "overlay"
EXPECT = "❌"
KEYWORDS = ("raised FileNotFoundError",)
CLUSTER = False


def write_capstone_overlay(folder):
    generators(folder)
    (folder / "missing" / "kustomization.yaml").write_text("resources: []")
