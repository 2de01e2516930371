"""Export the live configuration as a document that re-applies as a no-op."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sharekit.config.live import LiveState, read_full
from sharekit.connect import WorkspaceLike, client_of


class _Flow(list):  # type: ignore[type-arg]
    """A short list written inline, ``[SELECT]``, as people write it."""


def to_data(state: LiveState, *, all_recipients: bool = True) -> dict[str, Any]:
    """Plain data in the document shape. With ``all_recipients=False`` only recipients granted on the exported
    shares are included."""
    shares = []
    grants = []
    granted: set[str] = set()
    for name in sorted(state.shares):
        share = state.shares[name]
        entry: dict[str, Any] = {"name": share.name}
        if share.comment:
            entry["comment"] = share.comment
        entry["tables"] = [share.objects[key].to_yaml() for key in sorted(share.objects)]
        shares.append(entry)
        for recipient in sorted(share.grants or ()):
            grants.append({"share": share.name, "recipient": recipient, "permissions": _Flow(["SELECT"])})
            granted.add(recipient)
    recipients = [state.recipients[name].to_yaml() for name in sorted(state.recipients)
                  if all_recipients or name in granted]
    data: dict[str, Any] = {"shares": shares, "recipients": recipients, "grants": grants}
    return {key: value for key, value in data.items() if value}


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
    return header + dump_yaml(to_data(state, all_recipients=chosen is None))
