"""``sharekit demo``: a headless end-to-end run in the terminal, and ``--prepare-only`` for JupyterLab and Binder.

The run: a fresh temporary home (or ``--home``), the embedded server with the demo catalog, a sample configuration
applied through the config engine, a recipient activated and read with the unmodified ``delta-sharing`` client,
and the usage the server audited. ``prepare_home`` only writes the demo tables and a generated audit history, so a
later ``sharekit.connect()`` (a notebook, ``make lab``, Binder) starts on a populated home.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from sharekit import recipients
from sharekit.activation import ActivationError, activate
from sharekit.analytics import SharingAnalytics
from sharekit.config.apply import apply
from sharekit.config.loader import loads
from sharekit.connect import Workspace, connect
from sharekit.demo.audit_history import write_audit_history
from sharekit.demo.tables import create_demo_tables, create_tenant_events
from sharekit.display import ShareResult
from sharekit.server.home import Home, default_home

SHARE = "demo_share"
RECIPIENT = "demo_partner"
SAMPLE_CONFIG = f"""
shares:
  - name: {SHARE}
    comment: Orders and product sales for partners (sharekit demo)
    tables:
      - name: main.sales.orders
        partitions: [{{region: {{recipient_property: region}}}}]   # each partner sees its own region
      - main.analytics.product_sales
recipients:
  - name: {RECIPIENT}
    comment: A partner in Europe
    properties: {{region: EU}}
grants:
  - {{share: {SHARE}, recipient: {RECIPIENT}}}
"""
HISTORY_EVENTS = 100_000
HISTORY_DAYS = 30
HISTORY_MARKER = "hist-"  # segment name prefix of generated history (sharekit.demo.audit_history)


class Steps:
    """Numbered step headlines with their duration, on a terminal."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.number = 0

    def run(self, title: str, body: Callable[[], Any]) -> Any:
        self.number += 1
        self.say(f"\n[{self.number}] {title}")
        started = time.monotonic()
        result = body()
        self.say(f"    ({time.monotonic() - started:.1f} s)")
        return result

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)


def prepare_home(home: Path, *, events: int = HISTORY_EVENTS, days: int = HISTORY_DAYS,
                 end: dt.date | None = None, out: TextIO = sys.stdout) -> Path:
    """Write the demo tables (catalog ``main``, plus ``main.saas.events``) and, once, a generated audit history
    ending ``end`` (default today, UTC) into ``home``. Existing tables and history are kept."""
    layout = Home(home.expanduser().resolve())
    layout.ensure()
    created = create_demo_tables(layout.tables_dir)
    events_table = layout.tables_dir / "main" / "saas" / "events"
    if not (events_table / "_delta_log").exists():
        created.append(create_tenant_events(layout.tables_dir))
    print(f"demo tables in {layout.tables_dir}: " + (", ".join(created) if created else "already there"), file=out)
    if any(layout.audit_dir.rglob(f"{HISTORY_MARKER}*.parquet")):
        print("audit history: already there", file=out)
    else:
        truth = write_audit_history(layout.root, events=events, days=days, end=end)
        print(f"audit history: {truth.n_events:,} events from {truth.start} to {truth.end} "
              f"({len(truth.recipients)} recipients)", file=out)
    layout.tighten()  # written under this process's umask: the home is its owner's only
    return layout.root


def run_walkthrough(home: Path | None, *, prepare_only: bool = False, out: TextIO = sys.stdout) -> int:
    """``sharekit demo``: 0 when every step worked."""
    if prepare_only:
        prepare_home(home or default_home(), out=out)
        return 0
    temporary = home is None
    root = Path(tempfile.mkdtemp(prefix="sharekit-demo-")) if home is None else home.expanduser().resolve()
    try:
        return _tour(root, Steps(out))
    finally:
        if temporary:
            shutil.rmtree(root, ignore_errors=True)


def _tour(root: Path, steps: Steps) -> int:
    steps.say("sharekit demo: share a table, activate a recipient, read as the recipient, look at the usage")
    def start() -> Workspace:
        workspace = connect(home=root, demo=True, quiet=True)
        steps.say(f"    {'started' if workspace.started_server else 'reusing'} the server at {workspace.host}")
        return workspace

    workspace = steps.run(f"Start the embedded sharing server (home {root})", start)
    try:
        steps.run("The catalog: demo tables", lambda: _catalog(workspace, steps))
        steps.run("Apply a sample configuration (plan, then apply)", lambda: _apply(workspace, steps))
        profile = steps.run(f"Activate recipient {RECIPIENT} (writes its profile file)",
                            lambda: _activate(workspace, steps))
        read_ok = steps.run("Read the share as the recipient, with the delta-sharing client",
                            lambda: _read(profile, steps))
        steps.run("Usage, from the audit log", lambda: _usage(workspace, steps))
    finally:
        workspace.close()
    steps.say("\ndone: the same steps run on Databricks with sharekit.connect() and a configured profile."
              "\nNext: `make lab` opens the tutorial notebooks.")
    return 0 if read_ok else 1


def _catalog(workspace: Workspace, steps: Steps) -> None:
    client = workspace.client
    for schema in client.schemas.list("main"):
        for table in client.tables.list("main", schema.name or ""):
            steps.say(f"    {table.full_name}")


def _apply(workspace: Workspace, steps: Steps) -> None:
    document = loads(SAMPLE_CONFIG, source="demo config")
    result = apply(workspace, document)
    shown = repr(ShareResult(result)).split("\nactivation links:", 1)[0]  # the link is spent in the next step
    for line in shown.splitlines():
        steps.say(f"    {line}")
    if not result.ok:
        raise RuntimeError(result.summary())


def _activate(workspace: Workspace, steps: Steps) -> Path:
    try:
        profile = activate(workspace, RECIPIENT)
    except ActivationError:  # a reused home: the link was spent by an earlier run; issue a new one
        recipients.rotate_token(workspace, RECIPIENT)
        profile = activate(workspace, RECIPIENT)
    steps.say(f"    profile file: {profile} (endpoint and bearer token, mode 0600)")
    return profile


def _read(profile: Path, steps: Steps) -> bool:
    try:
        import delta_sharing
    except ImportError:
        steps.say("    skipped: the delta-sharing client is not installed (pip install delta-sharing)")
        return True
    client = delta_sharing.SharingClient(str(profile))
    for table in client.list_all_tables():
        steps.say(f"    shared with the recipient: {table.share}.{table.schema}.{table.name}")
    orders = delta_sharing.load_as_pandas(f"{profile}#{SHARE}.sales.orders")
    regions = orders["region"].value_counts().to_dict()
    steps.say(f"    {len(orders)} orders, by region: {regions}")
    if set(regions) != {"EU"}:
        steps.say("    UNEXPECTED: the recipient should only see region EU")
        return False
    steps.say("    row-level sharing works: the partner in region EU sees only EU orders")
    return True


def _usage(workspace: Workspace, steps: Steps) -> None:
    analytics = SharingAnalytics(workspace)
    try:
        activity = analytics.recipient_activity(RECIPIENT, days=1)
        totals = activity.df[["requests", "failed", "rows_read", "bytes_read"]].sum()
        steps.say(f"    {RECIPIENT} today: {int(totals['requests'])} requests, {int(totals['failed'])} failed, "
                  f"{int(totals['rows_read'])} rows, {int(totals['bytes_read']):,} bytes")
        for line in repr(analytics.most_accessed_tables(days=1)).splitlines():
            steps.say(f"    {line}")
    finally:
        analytics.close()
