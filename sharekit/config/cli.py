"""``sharekit plan | apply | export``: the configuration engine for CI/CD pipelines."""

from __future__ import annotations

import argparse


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add the plan/apply/export subcommands to the ``sharekit`` parser."""
