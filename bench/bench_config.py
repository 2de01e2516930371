"""Benchmark of the configuration engine against the embedded server.

A document of 100 shares × 10 tables, 50 recipients and 200 grants: wall time and HTTP calls for the first
apply, a no-op re-apply and a one-table change, beside the playbook's one-call-per-table script (create each
share, add each table in its own ``shares.update``, create each recipient, one permissions call per grant;
re-running it repeats every call because it only knows "create if missing").

    python bench/bench_config.py [--shares 100] [--tables-per-share 10] [--recipients 50] [--grants 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sharekit.config.apply import apply
from sharekit.config.loader import validate
from sharekit.connect import Workspace, connect_local


def make_tables(tables_dir: Path, count: int, per_schema: int = 100) -> list[str]:
    """``count`` tiny Delta tables in catalog ``bench`` (one row each)."""
    import pyarrow as pa
    from deltalake import write_deltalake

    names = []
    data = pa.table({"id": pa.array([1], pa.int64()), "value": pa.array(["x"])})
    for index in range(count):
        schema, table = f"s{index // per_schema:02d}", f"t{index:04d}"
        write_deltalake(str(tables_dir / "bench" / schema / table), data)
        names.append(f"bench.{schema}.{table}")
    return names


def document(tables: list[str], shares: int, per_share: int, recipients: int, grants: int) -> dict[str, Any]:
    share_names = [f"share_{i:03d}" for i in range(shares)]
    recipient_names = [f"recipient_{i:02d}" for i in range(recipients)]
    pairs = [(share_names[i % shares], recipient_names[(i * 7 + i // shares) % recipients]) for i in range(grants)]
    return {
        "shares": [{"name": name, "comment": f"share {i}",
                    "tables": tables[i * per_share:(i + 1) * per_share]} for i, name in enumerate(share_names)],
        "recipients": [{"name": name, "comment": "bench", "email": f"{name}@example.com"} for name in recipient_names],
        "grants": [{"share": s, "recipient": r, "permissions": ["SELECT"]} for s, r in dict.fromkeys(pairs)],
    }


class Calls:
    def __init__(self, workspace: Workspace) -> None:
        self.reads = self.writes = 0
        workspace.client.api_client._api_client._session.hooks["response"].append(self.hook)

    def hook(self, response: Any, *args: Any, **kwargs: Any) -> Any:
        if response.request.method in ("GET", "HEAD"):
            self.reads += 1
        else:
            self.writes += 1
        return response

    def measure(self, run: Callable[[], Any]) -> tuple[float, int, int, Any]:
        before_r, before_w = self.reads, self.writes
        started = time.perf_counter()
        outcome = run()
        return time.perf_counter() - started, self.reads - before_r, self.writes - before_w, outcome


def playbook(workspace: Workspace, data: dict[str, Any]) -> int:
    """The one-call-per-table script users run today; returns how many calls failed (already exists)."""
    from databricks.sdk.errors import DatabricksError
    from databricks.sdk.service import sharing

    client = workspace.client
    failed = 0

    def attempt(call: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        nonlocal failed
        try:
            call(*args, **kwargs)
        except DatabricksError:
            failed += 1

    for share in data["shares"]:
        attempt(client.shares.create, share["name"], comment=share["comment"])
        for table in share["tables"]:
            update = sharing.SharedDataObjectUpdate(action=sharing.SharedDataObjectUpdateAction.ADD,
                                                    data_object=sharing.SharedDataObject(name=table))
            attempt(client.shares.update, share["name"], updates=[update])
    for recipient in data["recipients"]:
        attempt(client.recipients.create, recipient["name"], sharing.AuthenticationType.TOKEN,
                comment=recipient["comment"])
    for grant in data["grants"]:
        change = sharing.PermissionsChange(principal=grant["recipient"], add=["SELECT"])
        attempt(client.shares.update_permissions, grant["share"], changes=[change])
    return failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shares", type=int, default=100)
    parser.add_argument("--tables-per-share", type=int, default=10)
    parser.add_argument("--recipients", type=int, default=50)
    parser.add_argument("--grants", type=int, default=200)
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="sharekit-bench-") as tmp:
        template = Path(tmp) / "tables"
        started = time.perf_counter()
        tables = make_tables(template, args.shares * args.tables_per_share)
        print(f"setup: {len(tables)} Delta tables in {time.perf_counter() - started:.1f} s")
        data = document(tables, args.shares, args.tables_per_share, args.recipients, args.grants)
        print(f"document: {len(data['shares'])} shares x {args.tables_per_share} tables, "
              f"{len(data['recipients'])} recipients, {len(data['grants'])} grants")
        rows = []

        import shutil

        home = Path(tmp) / "engine"
        shutil.copytree(template, home / "tables")
        with connect_local(home) as workspace:
            calls = Calls(workspace)
            doc = validate(data, source="bench")
            first = calls.measure(lambda: apply(workspace, doc, progress=False))
            if not first[3].ok:
                print(first[3].summary())
                return 1
            noop = calls.measure(lambda: apply(workspace, doc, progress=False))
            changed = dict(data, shares=[dict(s) for s in data["shares"]])
            pick = len(changed["shares"]) // 2
            changed["shares"][pick]["tables"] = changed["shares"][pick]["tables"][:-1]
            one = calls.measure(lambda: apply(workspace, validate(changed, source="bench"), progress=False))
            rows += [("sharekit apply (first)", first), ("sharekit apply (no-op re-apply)", noop),
                     ("sharekit apply (one table removed)", one)]

        if not args.skip_baseline:
            home = Path(tmp) / "playbook"
            shutil.copytree(template, home / "tables")
            with connect_local(home) as workspace:
                calls = Calls(workspace)
                base_first = calls.measure(lambda: playbook(workspace, data))
                base_again = calls.measure(lambda: playbook(workspace, data))
                rows += [("one-call-per-table script (first)", base_first),
                         ("one-call-per-table script (re-run)", base_again)]
                print(f"(the script's re-run failed {base_again[3]} calls with 'already exists'; "
                      "it cannot remove a table at all)")

        print(f"\n{'run':40s} {'wall s':>8s} {'reads':>7s} {'writes':>7s} {'calls':>7s}")
        for label, (seconds, reads, writes, _) in rows:
            print(f"{label:40s} {seconds:8.2f} {reads:7d} {writes:7d} {reads + writes:7d}")
        if not args.skip_baseline:
            ratio = rows[3][1][2] / max(rows[0][1][2], 1)
            print(f"\nwrite calls, first apply: sharekit {rows[0][1][2]} vs one-call-per-table {rows[3][1][2]} "
                  f"({ratio:.1f}x fewer)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
