"""``sharekit demo``: the headless end-to-end run as a user starts it (a subprocess), and ``--prepare-only``."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from sharekit.analytics import SharingAnalytics
from sharekit.demo.walkthrough import HISTORY_MARKER, prepare_home


def sharekit(*args: str, env_home: Path | None = None, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if env_home is not None:
        env["SHAREKIT_HOME"] = str(env_home)
    return subprocess.run([sys.executable, "-m", "sharekit", *args], capture_output=True, text=True, env=env,
                          timeout=timeout, check=False)


def test_demo_runs_end_to_end_in_a_fresh_home_and_leaves_nothing_running(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = sharekit("demo", "--home", str(home))
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for expected in ("started the server", "main.sales.orders", "applied 5 change(s)",
                     "profile file:", "500 orders, by region: {'EU': 500}", "demo_partner today: 4 requests",
                     "Most accessed tables"):
        assert expected in out, (expected, out)
    assert "retrieve_config" not in out  # the activation link is spent, not printed
    assert not (home / "server.json").exists()  # the server it started is stopped
    profile = home / "profiles" / "demo_partner.share"
    assert profile.stat().st_mode & 0o777 == 0o600

    again = sharekit("demo", "--home", str(home))  # a reused home: idempotent apply, a fresh activation link
    assert again.returncode == 0, again.stdout + again.stderr
    assert "no changes" in again.stdout and "500 orders" in again.stdout


def test_demo_without_home_uses_a_temporary_one_and_removes_it(tmp_path: Path) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "sharekit", "demo"], capture_output=True, text=True, env=env,
                          timeout=180, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "sharekit-demo-" in done.stdout
    assert list(tmp_path.glob("sharekit-demo-*")) == []


def test_prepare_only_writes_tables_and_history_once(tmp_path: Path) -> None:
    home = tmp_path / "prepared"
    first = sharekit("demo", "--prepare-only", env_home=home)  # the default home: $SHAREKIT_HOME
    assert first.returncode == 0, first.stderr
    assert "main.saas.events" in first.stdout and "audit history:" in first.stdout
    for table in ("sales/orders", "sales/customers", "analytics/customer_metrics", "analytics/product_sales",
                  "inventory/stock_levels", "saas/events"):
        assert (home / "tables" / "main" / table / "_delta_log").is_dir(), table
    segments = sorted((home / "audit").rglob(f"{HISTORY_MARKER}*.parquet"))
    assert len(segments) >= 29
    assert not (home / "server.json").exists()  # prepares files only; starts nothing

    second = sharekit("demo", "--prepare-only", "--home", str(home))
    assert second.returncode == 0 and "already there" in second.stdout
    assert sorted((home / "audit").rglob(f"{HISTORY_MARKER}*.parquet")) == segments


def test_prepared_history_is_what_the_analyses_read(tmp_path: Path) -> None:
    end = dt.date(2026, 3, 31)
    prepare_home(tmp_path, events=5_000, days=10, end=end)
    analytics = SharingAnalytics(home=tmp_path)
    usage = analytics.most_accessed_tables(start=end - dt.timedelta(days=9), end=end)
    analytics.close()
    assert int(usage.df["requests"].sum()) > 1_000 and set(usage.df["share"]) >= {"sales_share", "partner_analytics"}
