"""``sharekit demo``: the headless walkthrough, or ``--prepare-only`` for JupyterLab and Binder."""

from __future__ import annotations

import argparse
from pathlib import Path

from sharekit.demo.walkthrough import run_walkthrough


def demo(args: argparse.Namespace) -> int:
    return run_walkthrough(Path(args.home) if args.home else None, prepare_only=args.prepare_only)
