"""Export the live configuration as a document that re-applies as a no-op."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sharekit.config.live import LiveState, read_full
from sharekit.config.plan_objects import status_notices
from sharekit.connect import WorkspaceLike, client_of


class _Flow(list):  # type: ignore[type-arg]
    """A short list written inline, ``[SELECT]``, as people write it."""


def to_data(state: LiveState, *, all_recipients: bool = True) -> dict[str, Any]:
    """Plain data in the document shape. With ``all_recipients=False`` only recipients granted on the exported
    shares are included. Objects and recipients of a kind no document can name are left out (``notes`` says so):
    plans leave them alone."""
    shares = []
    grants = []
    granted: set[str] = set()
    for name in sorted(state.shares):
        share = state.shares[name]
        entry: dict[str, Any] = {"name": share.name}
        if share.comment:
            entry["comment"] = share.comment
        if share.owner:
            entry["owner"] = share.owner
        if share.storage_root:
            entry["storage_root"] = share.storage_root
        objects = [share.objects[key] for key in sorted(share.objects) if share.objects[key].nameable]
        entry["tables"] = [obj.to_yaml() for obj in sorted(objects, key=lambda o: o.name)]
        shares.append(entry)
        for recipient in sorted(share.grants or ()):
            grants.append({"share": share.name, "recipient": recipient, "permissions": _Flow(["SELECT"])})
            granted.add(recipient)
    recipients = [state.recipients[name].to_yaml() for name in sorted(state.recipients)
                  if (all_recipients or name in granted) and state.recipients[name].nameable]
    data: dict[str, Any] = {"shares": shares, "recipients": recipients, "grants": grants}
    return {key: value for key, value in data.items() if value}


def notes(state: LiveState) -> list[str]:
    """Comment lines for the export's header: objects recipients cannot read, what was left out and why."""
    out = []
    for name in sorted(state.shares):
        share = state.shares[name]
        out += [f"WARNING: {line}" for line in status_notices(name, share.objects)]
        for key in share.unnameable:
            out.append(f"left out: share {name} object {share.objects[key].name or key} has a type this sharekit "
                       "cannot name (plans leave it alone)")
        notebooks = [o.name for o in share.objects.values() if o.type == "NOTEBOOK_FILE"]
        if notebooks:
            out.append(f"share {name}: notebook content is not exported; add content_file to manage it "
                       f"({', '.join(sorted(notebooks))})")
    for name in sorted(state.recipients):
        if not state.recipients[name].nameable:
            out.append(f"left out: recipient {name} has an authentication type this sharekit cannot name")
    return out


def dump_yaml(data: dict[str, Any]) -> str:
    import yaml

    class _Dumper(yaml.SafeDumper):  # type: ignore[misc]
        def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
            return super().increase_indent(flow, False)  # indent list items under their key, as people write it

    _Dumper.add_representer(_Flow, lambda dumper, value: dumper.represent_sequence(
        "tag:yaml.org,2002:seq", list(value), flow_style=True))

    return str(yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False,
                         width=100))


def export(target: WorkspaceLike, shares: Iterable[str] | None = None) -> str:
    """YAML for the chosen shares (all by default) with their grants, and the recipients: every recipient when
    exporting everything, only the granted ones when shares are chosen."""
    client = client_of(target)
    chosen = list(shares) if shares is not None else None
    state = read_full(client, chosen)
    header = "# sharekit configuration exported from the workspace; `sharekit apply` re-applies it as a no-op\n"
    header += "".join(f"# {line}\n" for line in notes(state))
    return header + dump_yaml(to_data(state, all_recipients=chosen is None))
