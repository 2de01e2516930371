"""%recipient and %sharekit in a real InteractiveShell against the embedded server."""

from __future__ import annotations

from pathlib import Path

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from sharekit import sharing
from sharekit.connect import Workspace
from sharekit.magics import ShareMagics
from tests.config.conftest import SAMPLE


def magics_of(ip: InteractiveShell) -> ShareMagics:
    return next(c for c in ip.configurables if isinstance(c, ShareMagics))


def test_create_show_list_update(ip: InteractiveShell, ws: Workspace) -> None:
    ip.run_cell_magic("share", "", "shares:\n  - name: s1\n    tables: [main.sales.orders]\n")
    card = ip.run_line_magic("recipient", "create acme --comment 'ACME corp' --property region=EU "
                                          "--ip 10.0.0.0/8 --expires 2031-01-01")
    assert card.title == "created recipient acme"
    assert "retrieve_config.html" in card.links["acme"]
    info = ws.client.recipients.get("acme")
    assert info.properties_kvpairs.properties == {"region": "EU"} and info.comment == "ACME corp"
    assert info.expiration_time == 1924992000000

    ip.run_line_magic("recipient", "grant acme s1")
    shown = ip.run_line_magic("recipient", "show acme")
    assert ["shares", "s1"] in shown.rows and ["ip access list", "10.0.0.0/8"] in shown.rows

    listing = ip.run_line_magic("recipient", "list")
    row = dict(zip(listing.columns, listing.rows[0]))
    assert (row["name"], row["activated"], row["shares"], row["properties"]) == ("acme", "no", "s1", "region=EU")
    assert list(listing.df["name"]) == ["acme"]
    assert "not activated yet: acme" in repr(listing)

    ip.run_line_magic("recipient", "update acme --property tier=gold --remove-property region --clear-ip")
    info = ws.client.recipients.get("acme")
    assert info.properties_kvpairs is None or info.properties_kvpairs.properties == {"tier": "gold"}
    assert not (info.ip_access_list and info.ip_access_list.allowed_ip_addresses)

    ip.run_line_magic("recipient", "revoke acme s1")
    assert sharing.recipient_shares(ws, "acme") == []


def test_rotate_and_activation(ip: InteractiveShell, ws: Workspace) -> None:
    created = ip.run_line_magic("recipient", "create r1")
    first = created.links["r1"]
    assert ip.run_line_magic("recipient", "activation r1").links == {"r1": first}
    rotated = ip.run_line_magic("recipient", "rotate r1 --expire-existing-in 60")
    assert rotated.links["r1"] != first
    assert "expires in 60 s" in rotated.title
    assert ip.run_line_magic("recipient", "activation r1").links == {"r1": rotated.links["r1"]}


def test_delete_asks_unless_yes(ip: InteractiveShell, ws: Workspace) -> None:
    ip.run_line_magic("recipient", "create gone1")
    ip.run_line_magic("recipient", "create gone2")
    magics = magics_of(ip)
    questions: list[str] = []
    magics.ask = lambda prompt: questions.append(prompt) or "n"
    kept = ip.run_line_magic("recipient", "delete gone1")
    assert kept.title == "kept recipient gone1" and len(questions) == 1
    magics.ask = lambda prompt: "y"
    ip.run_line_magic("recipient", "delete gone1")
    ip.run_line_magic("recipient", "delete gone2 --yes")
    assert [r.name for r in ws.client.recipients.list()] == []


def test_errors_are_one_line_usage_errors(ip_short: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    for line, kind, text in [
        ("show nobody", "NotFound", "nobody"),
        ("frobnicate x", "UsageError", "invalid choice"),
        ("create 'bad name'", "UsageError", "not a valid name"),
        ("create ok --ip 999.0.0.0", "UsageError", "not an IP address"),
        ("create ok --property novalue", "UsageError", "KEY=VALUE"),
        ("create ok --expires someday", "UsageError", "--expires"),
        ("update ok", "UsageError", "nothing to update"),
        ("rotate ok --expire-existing-in -5", "UsageError", "0 or more"),
        ("grant nobody noshare", "NotFound", "noshare"),
        ("show 'unbalanced", "UsageError", "cannot parse"),
    ]:
        with pytest.raises(UsageError) as caught:
            ip_short.run_line_magic("recipient", line)
        assert type(caught.value) is UsageError
        assert getattr(caught.value, "error_type", "UsageError") == kind, (line, caught.value)
        assert text in str(caught.value), (line, str(caught.value))
    capsys.readouterr()
    result = ip_short.run_cell("%recipient show nobody")
    assert not result.success
    err = capsys.readouterr().err
    assert err.strip().startswith("UsageError:") and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_sharekit_status_and_connect(ip: InteractiveShell, ws: Workspace, tmp_path: Path) -> None:
    sharing.use_workspace(None)
    assert "not connected" in ip.run_line_magic("sharekit", "status").title
    assert ws.home is not None
    connected = ip.run_line_magic("sharekit", f"connect local --home {ws.home}")
    assert ws.host in connected.title  # reused the running server of that home
    assert sharing.current_workspace(connect_if_needed=False).host == ws.host
    assert ws.host in ip.run_line_magic("sharekit", "status").title
    with pytest.raises(UsageError):
        ip.run_line_magic("sharekit", "connect databricks --home x")
    ip.run_cell_magic("share", "", SAMPLE)  # the magics use the connection %sharekit made
    assert [s.name for s in ws.client.shares.list_shares()] == ["partner_analytics_share"]
