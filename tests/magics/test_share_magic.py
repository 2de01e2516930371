"""%%share in a real InteractiveShell against the embedded server."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from sharekit.config.apply import ApplyFailed
from sharekit.config.loader import ConfigError
from sharekit.connect import Workspace
from sharekit.display import ShareResult
from tests.config.conftest import SAMPLE, attach_log


def test_share_cell_applies_shows_plan_and_links_then_is_a_noop(ip: InteractiveShell, ws: Workspace) -> None:
    log = attach_log(ws)
    result = ip.run_cell_magic("share", "", SAMPLE)
    assert isinstance(result, ShareResult) and result.ok
    assert len(log.writes) == 5
    html = result._repr_html_()
    assert "partner_analytics_share" in html and "Activation links" in html and "acme_corp" in html
    assert "retrieve_config.html" in repr(result)
    frame = result.df
    assert list(frame.columns) == ["", "action", "kind", "target", "item", "detail", "status"]
    assert set(frame["status"]) == {"done"}
    log.clear()
    again = ip.run_cell_magic("share", "", SAMPLE)
    assert log.writes == [] and again.rows == []
    assert again.title.startswith("no changes")


def test_dry_run_and_output_variable(ip: InteractiveShell, ws: Workspace) -> None:
    log = attach_log(ws)
    assert ip.run_cell_magic("share", "--dry-run -o planned", SAMPLE) is None
    planned = ip.user_ns["planned"]
    assert planned.result.dry_run and set(planned.df["status"]) == {"planned"}
    assert log.writes == []
    assert "dry run" in planned.title


def test_no_variable_expansion_in_yaml(ip: InteractiveShell) -> None:
    ip.user_ns["comment"] = "EXPANDED"
    body = "shares:\n  - name: dollar\n    comment: costs $comment {comment}\n    tables: [main.sales.orders]\n"
    ip.run_cell_magic("share", "", body)
    assert ip.run_cell_magic("share", "", body).rows == []
    from sharekit.sharing import client_of

    assert client_of().shares.get("dollar").comment == "costs $comment {comment}"


def test_invalid_cell_is_one_line_usage_error_naming_the_cell_line(ip_short: InteractiveShell, ws: Workspace) -> None:
    log = attach_log(ws)
    body = "shares:\n  - name: s\n    tables:\n      - main.sales\n"
    with pytest.raises(UsageError) as caught:
        ip_short.run_cell_magic("share", "", body)
    assert type(caught.value) is UsageError and caught.value.error_type == "ShareConfigError"
    assert str(caught.value) == ("%%share cell: line 5: shares[0].tables[0]: table name 'main.sales' must have "
                                 "3 parts (catalog.schema.table)")  # line 1 is the %%share line
    assert log.calls == []  # invalid: not even a read
    result = ip_short.run_cell(f"%%share\n{body}")
    assert not result.success and isinstance(result.error_in_exec, UsageError)


def test_full_exceptions_when_short_errors_is_off(ip: InteractiveShell) -> None:
    with pytest.raises(ConfigError):
        ip.run_cell_magic("share", "", "shares: {}\n")
    ip.run_line_magic("config", "ShareMagics.short_errors = True")
    with pytest.raises(UsageError):
        ip.run_cell_magic("share", "", "shares: {}\n")


def test_failed_apply_shows_outcome_and_raises(ip: InteractiveShell, ip_short: InteractiveShell) -> None:
    body = "shares:\n  - name: p\n    tables:\n      - {name: main.sales.orders, partitions: [{status: x}]}\n"
    with pytest.raises(ApplyFailed) as caught:
        ip.run_cell_magic("share", "-o outcome", body)
    assert "not a partition column" in str(caught.value)
    assert [o.status for o in ip.user_ns["outcome"].result.outcomes] == ["done", "failed"]
    with pytest.raises(UsageError) as short:
        ip_short.run_cell_magic("share", "", body)
    assert short.value.error_type == "ApplyFailed" and "apply again to converge" in str(short.value)


def test_bad_flag_is_usage_error(ip: InteractiveShell) -> None:
    with pytest.raises(UsageError):
        ip.run_cell_magic("share", "--bogus", SAMPLE)


def test_html_escapes_user_text(ip: InteractiveShell) -> None:
    body = "shares:\n  - name: esc\n    comment: \"<script>alert(1)</script>\"\n    tables: [main.sales.orders]\n"
    html = ip.run_cell_magic("share", "--dry-run", body)._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_merge_keeps_objects_the_cell_omits_and_removals_of_non_tables_are_warned(ip: InteractiveShell,
                                                                                 ws: Workspace) -> None:
    both = "shares:\n  - name: kinds\n    tables:\n      - main.sales.orders\n      - {name: main.sales, type: SCHEMA}\n"
    assert ip.run_cell_magic("share", "", both).ok
    only_orders = "shares:\n  - name: kinds\n    tables: [main.sales.orders]\n"
    log = attach_log(ws)
    kept = ip.run_cell_magic("share", "--merge", only_orders)
    assert kept.rows == [] and log.writes == []  # merge: nothing the cell omits is removed
    planned = ip.run_cell_magic("share", "--dry-run", only_orders)
    assert [(row[1], row[4], row[5]) for row in planned.rows] == [("remove", "main.sales", "SCHEMA — not a table")]
    assert "WARNING: share kinds: removes SCHEMA main.sales, which is not a table" in repr(planned)
    merged = "shares:\n  - name: kinds\n    objects_mode: merge\n    tables: [main.sales.orders]\n"
    assert ip.run_cell_magic("share", "--dry-run", merged).rows == []
