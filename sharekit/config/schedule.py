"""Which write calls of a plan must wait for which: the plan's order is a valid serial order, and a call waits
for every earlier call it conflicts with, so independent calls can run concurrently.

Generic over a call's ``api``, ``method``, ``kwargs`` and ``actions`` (new call kinds slot in): a call *writes*
the share or recipient it names (``name`` on ``shares``/``recipients``; ``name`` on another API writes that API's
object, e.g. one federation policy) and the views its statement creates; it *uses* the share or recipient it is
attached to (``share_name``/``recipient_name``), the objects its share updates carry and the principals of its
permission changes. Two calls conflict when one writes a key the other writes or uses.
So a view is created before the shares that use it, a share before its objects and grants, a recipient before its
grants and policies, and the removals of a share's objects before their re-adds (calls on one share keep their
order). SQL statements keep their order among themselves (a view may select from another). A call from which no
key can be read is a barrier: it waits for everything before it, and everything after waits for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_NAMED_APIS = {"shares": "share", "recipients": "recipient"}
_NAME_KWARGS = {"share_name": "share", "recipient_name": "recipient"}


def keys_of(step: Any) -> tuple[set[str], set[str]] | None:
    """``(writes, uses)`` of one call, or None when nothing can be read from it (a barrier)."""
    writes: set[str] = set()
    uses: set[str] = set()
    kwargs: dict[str, Any] = step.kwargs
    if step.api == "sql":
        writes.add("sql")
        writes.update(f"object:{a.target}" for a in step.actions if a.kind == "view")
    # A federation policy's create carries its name inside ``policy``; its delete as ``name``. Both write the
    # same key, so a changed policy's delete runs before its re-create.
    name = kwargs.get("name", getattr(kwargs.get("policy"), "name", None))
    if step.api in _NAMED_APIS and isinstance(name, str):
        writes.add(f"{_NAMED_APIS[step.api]}:{name}")
    elif isinstance(name, str):
        writes.add(f"{step.api}:{kwargs.get('recipient_name', '')}:{name}")  # e.g. one federation policy
    for kwarg, kind in _NAME_KWARGS.items():
        if isinstance(kwargs.get(kwarg), str):
            uses.add(f"{kind}:{kwargs[kwarg]}")
    for update in kwargs.get("updates") or []:
        name = getattr(getattr(update, "data_object", None), "name", None)
        if name:
            uses.add(f"object:{name}")
    for change in kwargs.get("changes") or []:
        principal = getattr(change, "principal", None)
        if principal:
            uses.add(f"recipient:{principal}")
    return (writes, uses) if writes or uses else None


def dependencies(steps: Sequence[Any]) -> list[set[int]]:
    """For each call, the indices of the earlier calls it must wait for (direct conflicts only)."""
    last_writer: dict[str, int] = {}
    users_since_write: dict[str, set[int]] = {}
    barrier: int | None = None
    since_barrier: set[int] = set()
    waits: list[set[int]] = []
    for index, step in enumerate(steps):
        keys = keys_of(step)
        if keys is None:
            waits.append(set(since_barrier) | ({barrier} if barrier is not None else set()))
            barrier, since_barrier = index, set()
            last_writer.clear()
            users_since_write.clear()
            continue
        writes, uses = keys
        wait = {last_writer[k] for k in writes | uses if k in last_writer}
        for key in writes:
            wait |= users_since_write.pop(key, set())
            last_writer[key] = index
        for key in uses - writes:
            users_since_write.setdefault(key, set()).add(index)
        if barrier is not None:
            wait.add(barrier)
        since_barrier.add(index)
        waits.append(wait)
    return waits
