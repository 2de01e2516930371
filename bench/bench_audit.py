"""The audit log's cost on the request path, over a real loopback connection.

    python bench/bench_audit.py [--requests 1500] [--rounds 5]

One embedded server per setting (audit on; audit off = ``AuditLog.record`` replaced by a no-op), each run by
uvicorn in a thread of this process on 127.0.0.1, with a real recipient. Rounds alternate between the two
servers so machine noise hits both alike; the figure is the median per-request latency of two audited
protocol calls: ``GET /shares`` (cheap) and ``POST …/query`` on the demo orders table (typical).
Goal (issue 3): the audit log slows the request path by no more than a few per cent.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


class Server:
    """The real app under uvicorn on a loopback port, in a background thread."""

    def __init__(self, home: Path, audit: bool) -> None:
        import uvicorn

        from sharekit.demo.tables import create_demo_tables
        from sharekit.server.app import create_app
        from sharekit.server.state import build_state

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.state = build_state(home, base_url=self.url)
        create_demo_tables(self.state.home.tables_dir)
        if not audit:
            self.state.audit.record = lambda event: None  # type: ignore[method-assign]
        config = uvicorn.Config(create_app(self.state), log_level="error", access_log=False)
        self.server = uvicorn.Server(config)
        self.server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.state.audit.close()


def recipient_session(server: Server) -> tuple[Any, str]:
    """A share of main.sales.orders, a recipient granted on it, and a session with its bearer token."""
    import requests
    from databricks.sdk.service import sharing as S

    from sharekit.connect import local_client

    client = local_client(server.url, server.state.admin_token)
    client.shares.create("bench")
    client.shares.update("bench", updates=[S.SharedDataObjectUpdate(
        action=S.SharedDataObjectUpdateAction.ADD, data_object=S.SharedDataObject(name="main.sales.orders"))])
    client.recipients.create("reader", authentication_type=S.AuthenticationType.TOKEN)
    client.shares.update_permissions("bench", changes=[S.PermissionsChange(principal="reader", add=["SELECT"])])
    link = client.recipients.get("reader").tokens[0].activation_url.split("?")[-1]
    token = client.recipient_activation.retrieve_token(link).bearer_token
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session, f"{server.url}/delta-sharing/"


def per_request(session: Any, endpoint: str, requests_per_round: int) -> dict[str, float]:
    calls = {
        "GET /shares": lambda: session.get(endpoint + "shares"),
        "POST …/query (orders)": lambda: session.post(endpoint + "shares/bench/schemas/sales/tables/orders/query",
                                                       json={}),
    }
    timings = {}
    for name, call in calls.items():
        started = time.perf_counter()
        for _ in range(requests_per_round):
            response = call()
            response.raise_for_status()
        timings[name] = (time.perf_counter() - started) / requests_per_round
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sharekit-bench-audit-") as tmp:
        servers = {label: Server(Path(tmp) / label, audit=label == "audit on") for label in ("audit on", "audit off")}
        try:
            sessions = {label: recipient_session(server) for label, server in servers.items()}
            for session, endpoint in sessions.values():  # warm-up: imports, snapshot cache, connections
                per_request(session, endpoint, 100)
            samples: dict[str, dict[str, list[float]]] = {label: {} for label in servers}
            for _ in range(args.rounds):
                for label, (session, endpoint) in sessions.items():
                    for call, seconds in per_request(session, endpoint, args.requests // args.rounds).items():
                        samples[label].setdefault(call, []).append(seconds)
        finally:
            for server in servers.values():
                server.stop()
    print(f"audit cost over loopback: median of {args.rounds} rounds × {args.requests // args.rounds} requests")
    print(f"{'call':28} {'audit on µs':>12} {'audit off µs':>13} {'overhead':>9}")
    for call in samples["audit on"]:
        on = statistics.median(samples["audit on"][call]) * 1e6
        off = statistics.median(samples["audit off"][call]) * 1e6
        print(f"{call:28} {on:12.0f} {off:13.0f} {100 * (on - off) / off:8.1f}%")


if __name__ == "__main__":
    main()
