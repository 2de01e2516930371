"""The demo catalog ``main``: realistic small Delta tables, including a partitioned table, a table with
history and change data feed (several versions with updates and deletes) and a table with personal data."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

REGIONS = ("EU", "US", "APAC", "LATAM")
SEGMENTS = ("enterprise", "mid-market", "smb")
CATEGORIES = ("hardware", "software", "services")
FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Linus")
LAST = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Hamilton", "Torvalds")
EPOCH = dt.date(2026, 1, 1)


def _orders(rng: random.Random) -> dict[str, list[Any]]:
    rows = 2000
    return {
        "order_id": list(range(1, rows + 1)),
        "customer_id": [rng.randint(1, 200) for _ in range(rows)],
        "region": [REGIONS[i % len(REGIONS)] for i in range(rows)],
        "order_date": [EPOCH + dt.timedelta(days=rng.randint(0, 179)) for _ in range(rows)],
        "amount": [round(rng.uniform(5, 2500), 2) for _ in range(rows)],
        "status": [rng.choice(("shipped", "pending", "returned")) for _ in range(rows)],
    }


def _customers(rng: random.Random) -> dict[str, list[Any]]:
    ids = list(range(1, 201))
    first = [FIRST[i % len(FIRST)] for i in ids]
    last = [LAST[(i * 7) % len(LAST)] for i in ids]
    return {
        "customer_id": ids,
        "full_name": [f"{f} {l}" for f, l in zip(first, last)],
        "email": [f"{f.lower()}.{l.lower()}{i}@example.com" for i, f, l in zip(ids, first, last)],
        "phone": [f"+1-555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}" for _ in ids],
        "region": [REGIONS[i % len(REGIONS)] for i in ids],
        "segment": [SEGMENTS[i % len(SEGMENTS)] for i in ids],
        "signup_date": [EPOCH - dt.timedelta(days=rng.randint(0, 900)) for _ in ids],
    }


def _customer_metrics(rng: random.Random) -> dict[str, list[Any]]:
    ids = list(range(1, 201))
    return {
        "customer_id": ids,
        "region": [REGIONS[i % len(REGIONS)] for i in ids],
        "segment": [SEGMENTS[i % len(SEGMENTS)] for i in ids],
        "orders_count": [rng.randint(0, 60) for _ in ids],
        "lifetime_value": [round(rng.uniform(0, 50000), 2) for _ in ids],
        "last_order_date": [EPOCH + dt.timedelta(days=rng.randint(0, 179)) for _ in ids],
    }


def _product_sales(rng: random.Random) -> dict[str, list[Any]]:
    rows = 1200
    return {
        "product_id": [rng.randint(1, 40) for _ in range(rows)],
        "category": [rng.choice(CATEGORIES) for _ in range(rows)],
        "region": [rng.choice(REGIONS) for _ in range(rows)],
        "sale_date": [EPOCH + dt.timedelta(days=i % 180) for i in range(rows)],
        "units": [rng.randint(1, 20) for _ in range(rows)],
        "revenue": [round(rng.uniform(10, 5000), 2) for _ in range(rows)],
    }


def _stock_levels(rng: random.Random) -> dict[str, list[Any]]:
    ids = list(range(1, 101))
    return {
        "product_id": ids,
        "warehouse": [("north", "south", "east")[i % 3] for i in ids],
        "quantity": [rng.randint(0, 500) for _ in ids],
        "updated_at": [dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)] * len(ids),
    }


def _stock_history(path: Path) -> None:
    """Versions 1-3: an update, a delete and an append, so history and CDF have something to show."""
    import pyarrow as pa
    from deltalake import DeltaTable, write_deltalake

    table = DeltaTable(str(path))
    table.update(updates={"quantity": "quantity + 100"}, predicate="warehouse = 'north'")
    DeltaTable(str(path)).delete(predicate="quantity < 50")
    extra = pa.table({
        "product_id": pa.array([101, 102, 103], pa.int64()),
        "warehouse": ["north", "south", "east"],
        "quantity": pa.array([10, 20, 30], pa.int64()),
        "updated_at": pa.array([dt.datetime(2026, 2, 1, tzinfo=dt.timezone.utc)] * 3, pa.timestamp("us", tz="UTC")),
    })
    write_deltalake(str(path), extra, mode="append")


TableSpec = tuple[str, Callable[[random.Random], dict[str, list[Any]]], list[str], dict[str, str], str]

DEMO_TABLES: list[TableSpec] = [
    ("sales.orders", _orders, ["region"], {}, "Orders, partitioned by region"),
    ("sales.customers", _customers, [], {}, "Customer master data (contains personal data)"),
    ("analytics.customer_metrics", _customer_metrics, [], {}, "Per-customer metrics, no personal data"),
    ("analytics.product_sales", _product_sales, [], {}, "Daily product sales by region"),
    ("inventory.stock_levels", _stock_levels, [], {"delta.enableChangeDataFeed": "true"},
     "Stock per product, with history and change data feed"),
]


def create_demo_tables(tables_dir: Path, catalog: str = "main", *, seed: int = 7) -> list[str]:
    """Write the demo tables under ``tables_dir/<catalog>/<schema>/<table>``; existing tables are kept.

    Returns the full names of the tables created by this call.
    """
    import pyarrow as pa
    from deltalake import write_deltalake

    created = []
    for name, build, partition_by, configuration, description in DEMO_TABLES:
        schema, table = name.split(".")
        path = tables_dir / catalog / schema / table
        if (path / "_delta_log").exists():
            continue
        path.mkdir(parents=True, exist_ok=True)
        data = pa.table(build(random.Random(f"{seed}:{name}")))
        write_deltalake(str(path), data, partition_by=partition_by or None, configuration=configuration or None,
                        description=description)
        if name == "inventory.stock_levels":
            _stock_history(path)
        created.append(f"{catalog}.{name}")
    return created


TENANTS = ("acme", "globex", "initech", "umbrella")


def create_tenant_events(tables_dir: Path, catalog: str = "main", *, rows: int = 400, seed: int = 7) -> str:
    """``<catalog>.saas.events``: one table shared by several tenants (partitioned by ``tenant_id``), with a
    personal-data column (``user_email``) and a ``plan`` column for masking examples. Kept out of the default
    demo catalog; returns the full name (an existing table is left alone)."""
    import pyarrow as pa
    from deltalake import write_deltalake

    path = tables_dir / catalog / "saas" / "events"
    if not (path / "_delta_log").exists():
        rng = random.Random(f"{seed}:saas.events")
        tenant = [TENANTS[i % len(TENANTS)] for i in range(rows)]
        data = pa.table({
            "event_id": pa.array(range(1, rows + 1), pa.int64()),
            "tenant_id": tenant,
            "user_email": [f"user{i % 37}@{t}.example.com" for i, t in enumerate(tenant)],
            "event_type": [rng.choice(("login", "export", "query", "share")) for _ in range(rows)],
            "plan": [("gold", "silver")[(TENANTS.index(t)) % 2] for t in tenant],
            "amount": [round(rng.uniform(0, 100), 2) for _ in range(rows)],
            "event_date": [EPOCH + dt.timedelta(days=i % 60) for i in range(rows)],
        })
        path.mkdir(parents=True, exist_ok=True)
        write_deltalake(str(path), data, partition_by=["tenant_id"], configuration={"delta.enableChangeDataFeed": "true"},
                        description="Product events of several tenants (multi-tenant sharing examples)")
    return f"{catalog}.saas.events"
