"""sharekit ÷ a minimal baseline server (``baseline_server.py``) on the same files, in one run: file HEAD, a
64 KiB range GET, a whole-file GET, a query, and the unmodified ``delta-sharing`` client's three read paths.
Trials are interleaved (sharekit, baseline, sharekit, ...) so machine noise hits both alike."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from baseline_server import Baseline


def _median_ms(fn: Callable[[], Any], runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def _first_file_url(session: Any, query_url: str) -> tuple[str, int]:
    lines = [json.loads(line) for line in session.post(query_url, json={}, timeout=60).text.splitlines()]
    files = [line["file"] for line in lines if "file" in line]
    smallest = min(files, key=lambda f: f["size"])
    return smallest["url"], smallest["size"]


def small_requests(profile: Path, share: str, tables: Path, rounds: int) -> list[tuple[str, float, float]]:
    """``(what, sharekit ms, baseline ms)`` medians of ``rounds`` interleaved rounds."""
    import requests

    settings = json.loads(profile.read_text())
    token = settings["bearerToken"]
    rows: list[tuple[str, float, float]] = []
    with Baseline(tables, token) as baseline:
        servers = {"sharekit": settings["endpoint"].rstrip("/"), "baseline": baseline.endpoint}
        sessions = {name: requests.Session() for name in servers}
        for session in sessions.values():
            session.headers["Authorization"] = f"Bearer {token}"
        plain = {name: requests.Session() for name in servers}
        path = {"sharekit": f"/shares/{share}/schemas/data/tables/big/query",
                "baseline": "/shares/share/schemas/data/tables/big/query"}
        urls = {name: _first_file_url(sessions[name], servers[name] + path[name])[0] for name in servers}
        checks: dict[str, Callable[[str], Callable[[], Any]]] = {
            "file HEAD": lambda n: lambda: plain[n].head(urls[n]).raise_for_status(),
            "64 KiB range GET": lambda n: lambda: plain[n].get(
                urls[n], headers={"Range": "bytes=0-65535"}).raise_for_status(),
            "whole-file GET": lambda n: lambda: plain[n].get(urls[n]).raise_for_status(),
            "query (3 files)": lambda n: lambda: sessions[n].post(servers[n] + path[n], json={}).raise_for_status(),
        }
        for what, make in checks.items():
            runs = max(3, rounds // 10) if what == "whole-file GET" else rounds
            mine, theirs = [], []
            for _ in range(5):  # interleaved blocks
                mine.append(_median_ms(make("sharekit"), runs // 5 + 1))
                theirs.append(_median_ms(make("baseline"), runs // 5 + 1))
            rows.append((what, statistics.median(mine), statistics.median(theirs)))
    return rows


def client_paths(profile: Path, share: str, tables: Path, tmp: Path, rows: int,
                 runs: int) -> list[tuple[str, float, float]]:
    """The client's parquet, delta and default paths on sharekit and on the baseline (medians, ms)."""
    import delta_sharing

    settings = json.loads(profile.read_text())
    out: list[tuple[str, float, float]] = []
    with Baseline(tables, settings["bearerToken"]) as baseline:
        other = tmp / "baseline.share"
        other.write_text(json.dumps({**settings, "endpoint": baseline.endpoint}))
        urls = {"sharekit": f"{profile}#{share}.data.big", "baseline": f"{other}#share.data.big"}
        paths: dict[str, dict[str, Any]] = {"load_as_pandas parquet": {"use_delta_format": False},
                                            "load_as_pandas delta": {"use_delta_format": True},
                                            "load_as_pandas default": {}}
        for name, kwargs in paths.items():
            for url in urls.values():  # warm-up
                assert len(delta_sharing.load_as_pandas(url, **kwargs)) == rows
            mine, theirs = [], []
            for _ in range(runs):
                mine.append(_median_ms(lambda k=kwargs: delta_sharing.load_as_pandas(urls["sharekit"], **k), 1))
                theirs.append(_median_ms(lambda k=kwargs: delta_sharing.load_as_pandas(urls["baseline"], **k), 1))
            out.append((name, statistics.median(mine), statistics.median(theirs)))
    return out


def report(rows: list[tuple[str, float, float]]) -> None:
    print(f"\n{'sharekit vs a minimal baseline server':40} {'sharekit ms':>12} {'baseline ms':>12} {'ratio':>7}")
    for what, mine, theirs in rows:
        ratio = mine / theirs
        print(f"{what:40} {mine:12.2f} {theirs:12.2f} {ratio:7.2f}  goal <= 1.0 {'met' if ratio <= 1.0 else 'NOT met'}")
