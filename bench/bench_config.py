"""Benchmark of the configuration engine against the embedded server.

A document of 100 shares × 10 tables, 50 recipients and 200 grants: wall time and HTTP calls for the first
apply, a no-op re-apply and a one-table change, beside the playbook's one-call-per-table script (create each
share, add each table in its own ``shares.update``, create each recipient, one permissions call per grant;
re-running it repeats every call because it only knows "create if missing"). On loopback, and again through a
proxy adding ``--latency-ms`` (100 ms: roughly a real workspace) to every call.

Goals (issue 14): first apply <= 400 calls with the PII check on; faster than the script on loopback; at 100 ms
per call <= 1/5 of the script's wall time; no-op re-apply 0 writes.

    python bench/bench_config.py [--shares 100] [--tables-per-share 10] [--recipients 50] [--grants 200]
                                 [--latency-ms 100] [--parallel 8]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.proxy import Proxy
from sharekit.config.apply import apply
from sharekit.config.calls import DEFAULT_PARALLEL
from sharekit.config.loader import validate
from sharekit.connect import LOCAL_WAREHOUSE_ID, Home, Workspace, connect_local, local_client

Row = tuple[str, tuple[float, int, int, Any]]


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


def through(workspace: Workspace, proxy: Proxy | None) -> Workspace:
    """The same server, the client's calls going through ``proxy`` (when given)."""
    if proxy is None:
        return workspace
    assert workspace.home is not None
    client = local_client(proxy.url, Home(workspace.home).admin_token())
    return Workspace(client, "local", proxy.url, home=workspace.home, warehouse_id=LOCAL_WAREHOUSE_ID)


def run_engine(template: Path, home: Path, data: dict[str, Any], latency_s: float, parallel: int) -> list[Row]:
    shutil.copytree(template, home / "tables")
    with connect_local(home) as server, (Proxy(server.host, latency_s) if latency_s else nullcontext()) as proxy:
        workspace = through(server, proxy)
        calls = Calls(workspace)
        doc = validate(data, source="bench")
        first = calls.measure(lambda: apply(workspace, doc, progress=False, parallel=parallel))
        if not first[3].ok:
            raise SystemExit(first[3].summary())
        noop = calls.measure(lambda: apply(workspace, doc, progress=False, parallel=parallel))
        changed = dict(data, shares=[dict(s) for s in data["shares"]])
        pick = len(changed["shares"]) // 2
        changed["shares"][pick]["tables"] = changed["shares"][pick]["tables"][:-1]
        one = calls.measure(lambda: apply(workspace, validate(changed, source="bench"), progress=False,
                                          parallel=parallel))
    return [("sharekit apply (first)", first), ("sharekit apply (no-op re-apply)", noop),
            ("sharekit apply (one table removed)", one)]


def run_script(template: Path, home: Path, data: dict[str, Any], latency_s: float, rerun: bool) -> list[Row]:
    shutil.copytree(template, home / "tables")
    with connect_local(home) as server, (Proxy(server.host, latency_s) if latency_s else nullcontext()) as proxy:
        workspace = through(server, proxy)
        calls = Calls(workspace)
        rows = [("one-call-per-table script (first)", calls.measure(lambda: playbook(workspace, data)))]
        if rerun:
            rows.append(("one-call-per-table script (re-run)", calls.measure(lambda: playbook(workspace, data))))
    return rows


def print_table(title: str, rows: list[Row]) -> None:
    print(f"\n{title}")
    print(f"{'run':40s} {'wall s':>8s} {'reads':>7s} {'writes':>7s} {'calls':>7s}")
    for label, (seconds, reads, writes, _) in rows:
        print(f"{label:40s} {seconds:8.2f} {reads:7d} {writes:7d} {reads + writes:7d}")


def goal(text: str, met: bool) -> None:
    print(f"goal {text}: {'met' if met else 'NOT met'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shares", type=int, default=100)
    parser.add_argument("--tables-per-share", type=int, default=10)
    parser.add_argument("--recipients", type=int, default=50)
    parser.add_argument("--grants", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=100.0, help="per call, through the proxy (0: skip)")
    parser.add_argument("--parallel", type=int, default=DEFAULT_PARALLEL)
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="sharekit-bench-") as tmp:
        template = Path(tmp) / "tables"
        started = time.perf_counter()
        tables = make_tables(template, args.shares * args.tables_per_share)
        print(f"setup: {len(tables)} Delta tables in {time.perf_counter() - started:.1f} s")
        data = document(tables, args.shares, args.tables_per_share, args.recipients, args.grants)
        print(f"document: {len(data['shares'])} shares x {args.tables_per_share} tables, "
              f"{len(data['recipients'])} recipients, {len(data['grants'])} grants; parallel {args.parallel}")
        latency_s = args.latency_ms / 1000
        loopback = run_engine(template, Path(tmp) / "engine", data, 0.0, args.parallel)
        if not args.skip_baseline:
            loopback += run_script(template, Path(tmp) / "script", data, 0.0, rerun=True)
        print_table("loopback", loopback)
        proxied: list[Row] = []
        if latency_s:
            proxied = run_engine(template, Path(tmp) / "engine-proxy", data, latency_s, args.parallel)
            if not args.skip_baseline:  # its re-run repeats the first run's calls: not measured again here
                proxied += run_script(template, Path(tmp) / "script-proxy", data, latency_s, rerun=False)
            print_table(f"through a proxy adding {args.latency_ms:.0f} ms per call", proxied)
    first, noop = loopback[0][1], loopback[1][1]
    print()
    goal(f"first apply <= 400 calls with the PII check on ({first[1] + first[2]})", first[1] + first[2] <= 400)
    goal(f"no-op re-apply 0 writes ({noop[2]})", noop[2] == 0)
    if not args.skip_baseline:
        script = loopback[3][1]
        goal(f"faster than the script on loopback ({first[0]:.2f} s vs {script[0]:.2f} s, "
             f"{script[0] / first[0]:.1f}x)", first[0] < script[0])
        if proxied:
            mine, theirs = proxied[0][1][0], proxied[3][1][0]
            goal(f"at {args.latency_ms:.0f} ms per call <= 1/5 of the script's wall time ({mine:.1f} s vs "
                 f"{theirs:.1f} s, {mine / theirs:.3f})", mine <= theirs / 5)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
