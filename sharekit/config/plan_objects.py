"""The object changes of one share: what to add, update, replace (REMOVE + ADD) and remove, in call order.

Safety rules (issue 13): an object the document omits is removed only when the share is authoritative (the
default; ``objects_mode: merge`` removes nothing), every removal names its type and a removal of anything but a
table is also a plan notice; an object of a kind no document can name (``object_types.NAMEABLE``; the SDK hands
an unknown type over as None) is never removed or replaced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sharekit.config.actions import Action
from sharekit.config.comparable import ObjectState, needs_replace, object_changes, partition_spec_text
from sharekit.config.model import ShareSpec

if TYPE_CHECKING:
    from databricks.sdk.service.sharing import SharedDataObjectUpdate

    from sharekit.config.loader import Document, Issue

Path_ = tuple[str | int, ...]


def object_detail(state: ObjectState, changed: list[str] | None = None) -> str:
    bits = [] if state.type == "TABLE" else [state.type]
    if state.shared_as:
        bits.append(f"as {state.shared_as}")
    if state.partitions:
        bits.append("partitions " + " OR ".join(f"({partition_spec_text(p)})" for p in state.partitions))
    if state.history:
        bits.append("with history")
    if changed:
        bits.insert(0, "changes " + ", ".join(changed))
    return "; ".join(bits)


def removal_detail(state: ObjectState) -> str:
    """Every removal says what it removes; anything but a table is flagged."""
    return state.type if state.type == "TABLE" else f"{state.type} — not a table"


def _removal(gone: ObjectState) -> SharedDataObjectUpdate:
    from databricks.sdk.service import sharing

    return sharing.SharedDataObjectUpdate(action=sharing.SharedDataObjectUpdateAction.REMOVE,
                                          data_object=sharing.SharedDataObject(
                                              name=gone.name,
                                              data_object_type=sharing.SharedDataObjectDataObjectType(gone.type)))


def _update(kind: str, state: ObjectState, content: bytes | None = None) -> SharedDataObjectUpdate:
    from databricks.sdk.service.sharing import SharedDataObjectUpdate as Update
    from databricks.sdk.service.sharing import SharedDataObjectUpdateAction as Kind

    return Update(action=Kind(kind), data_object=state.to_sdk(content, update=kind == "UPDATE"))


@dataclass
class ObjectDiff:
    """The result for one share: the ordered changes, the objects added (for the existence and PII checks),
    the problems (naming document lines) and the notices the plan shows."""

    changes: list[tuple[Action, SharedDataObjectUpdate]] = field(default_factory=list)
    added: list[tuple[Path_, ObjectState]] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def diff_objects(document: Document, index: int, spec: ShareSpec, live: dict[str, ObjectState]) -> ObjectDiff:
    out = ObjectDiff()
    removes: list[tuple[Action, Any]] = []
    adds: list[tuple[Action, Any]] = []
    updates: list[tuple[Action, Any]] = []
    named: set[str] = set()
    unknown = {state.name for state in live.values() if not state.nameable}
    for o_index, obj in enumerate(spec.tables):
        path: Path_ = ("shares", index, "tables", o_index)
        content = document.contents.get(obj.content_file) if obj.content_file else None
        desired = ObjectState.from_spec(obj, content)
        named.add(desired.name)
        existing = live.get(desired.name)
        if desired.name in unknown:
            out.notices.append(f"share {spec.name}: {desired.name} is shared as a type this sharekit cannot name; "
                               "it is left alone")
            continue
        if existing is None:
            if obj.type == "NOTEBOOK_FILE" and content is None:
                out.issues.append(document.issue(path, f"notebook {obj.name} is not in share {spec.name}: "
                                                       "adding it needs content_file (the notebook's file)"))
                continue
            out.added.append((path, desired))
            adds.append((Action("add", "object", spec.name, desired.name, object_detail(desired)),
                         _update("ADD", desired, content)))
            continue
        changed = object_changes(desired, existing)
        if not changed:
            continue
        if needs_replace(changed, desired, existing):
            if obj.type == "NOTEBOOK_FILE" and content is None:
                out.issues.append(document.issue(path, f"changing {', '.join(changed)} of notebook {obj.name} "
                                                       "removes and adds it again, which needs content_file"))
                continue
            action = Action("replace", "object", spec.name, desired.name,
                            object_detail(desired, changed) + f" (remove {existing.type}, add {desired.type})")
            removes.append((action, _removal(existing)))
            adds.append((action, _update("ADD", desired, content)))
            if existing.type != "TABLE":
                out.notices.append(f"share {spec.name}: {desired.name} ({existing.type}) is removed and added again "
                                   f"to change {', '.join(changed)}")
        else:
            send = content if "content" in changed else None
            updates.append((Action("update", "object", spec.name, desired.name, object_detail(desired, changed)),
                            _update("UPDATE", desired, send)))
    if not spec.merge:
        removes += _omitted(spec, live, named, out)
    out.changes = removes + adds + updates
    return out


def _omitted(spec: ShareSpec, live: dict[str, ObjectState], named: set[str],
             out: ObjectDiff) -> list[tuple[Action, Any]]:
    """Removals of the live objects the authoritative document omits; never one of a kind it cannot name."""
    removes = []
    for key in sorted(set(live) - named):
        state = live[key]
        if not state.nameable:
            out.notices.append(f"share {spec.name}: {state.name or key} has a type this sharekit cannot name; "
                               "it is left alone")
            continue
        removes.append((Action("remove", "object", spec.name, state.name, removal_detail(state)), _removal(state)))
        if state.type != "TABLE":
            out.notices.append(f"share {spec.name}: removes {state.type} {state.name}, which is not a table "
                               "(list it in the document, or set objects_mode: merge, to keep it)")
    return removes


def status_notices(share: str, live: dict[str, ObjectState]) -> list[str]:
    """PERMISSION_DENIED objects: the share owner lost access, so recipients silently get nothing."""
    return [f"share {share}: {state.name} ({state.type}) has status PERMISSION_DENIED: the share's owner cannot "
            "read it, so recipients get nothing from it" for state in live.values()
            if state.status == "PERMISSION_DENIED"]


__all__ = ["ObjectDiff", "diff_objects", "object_detail", "removal_detail", "status_notices"]
