"""The ``sharekit`` command: ``serve``, ``demo``, ``register-table|volume|model|function``, and ``plan | apply | export``.

``parser`` builds the argument parser (argparse only); each command group has a module (``serve``, ``demo``,
``register``, ``configuration``) that ``main`` imports through ``COMMANDS`` when its command runs.
"""

from __future__ import annotations

import importlib
import sys

from sharekit.cli.common import UsageFailure
from sharekit.cli.parser import build_parser

__all__ = ["COMMANDS", "build_parser", "main"]

# command -> (module, function). The modules import what they run (the server, the config engine, pydantic);
# `sharekit serve`, which `connect()` spawns and waits for, must not pay for the others: imported on use.
COMMANDS = {
    "serve": ("serve", "serve"),
    "demo": ("demo", "demo"),
    "register-table": ("register", "register_table"),
    "register-volume": ("register", "register_volume"),
    "register-model": ("register", "register_model"),
    "register-function": ("register", "register_function"),
    "plan": ("configuration", "plan"),
    "apply": ("configuration", "apply"),
    "export": ("configuration", "export"),
    "review": ("credentials", "review"),
    "rotate": ("credentials", "rotate"),
    "oidc-issuer": ("oidc_issuer", "oidc_issuer"),
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    module, function = COMMANDS[args.command]
    # only the chosen command's module: `sharekit serve` (which connect() spawns) must not load the config engine
    command = getattr(importlib.import_module(f"sharekit.cli.{module}"), function)
    try:
        return int(command(args))
    except UsageFailure as err:
        print(f"sharekit: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
