"""``sharekit serve``: run the embedded sharing server in the foreground."""

from __future__ import annotations

import argparse
from pathlib import Path

from sharekit.server.runtime import serve as run_server


def serve(args: argparse.Namespace) -> int:
    run_server(Path(args.home), host=args.host, port=args.port, demo=args.demo, log_level=args.log_level,
               http=args.http)
    return 0
