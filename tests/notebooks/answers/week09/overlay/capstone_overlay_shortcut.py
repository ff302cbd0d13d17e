"""Shortcut: creates the table with the lab's own capstone code instead of shipping it (refused)."""

from _overlay import DDL, generators, rules, write

import lab

EXERCISE = "overlay"
EXPECT = "❌"
KEYWORDS = ("the lab's own implementation",)
CLUSTER = False


def write_capstone_overlay(folder):
    lab.exercises.capstone.create_table(None)
    write(folder, generators(folder), {"005_zone_durations.cql": DDL, "capstone.yml": rules()})
