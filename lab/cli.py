"""The `lab` command: set-up, the local stack's lifecycle, producing, streaming and the demo."""
from __future__ import annotations

import argparse
import importlib
import sys

from .errors import LabError

# Each entry is a module with `register(subparsers)`; it adds its subcommands with set_defaults(func=...).
_COMMANDS = [
    "lab.stack",
    "lab.produce",
    "lab.stream",
    "lab.notebooks",
    "lab.kind",
    "lab.alerts",
]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(prog="lab", description="Kappa Lab: real streaming services for the notebooks.")
    parser.add_argument("--target", choices=["local", "kind"], default=None, help="where the services run (default: local)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMANDS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # that part of the lab is not built yet
                continue
            raise
        module.register(sub)
    for p in sub.choices.values():  # `lab up --target kind` as well as `lab --target kind up`
        if "--target" not in p._option_string_actions:
            p.add_argument("--target", choices=["local", "kind"], default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `lab` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.target:
        from . import config

        config.use(args.target)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except LabError as exc:
        print(f"lab {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"lab {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
