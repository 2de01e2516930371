"""``%recipient review`` and rotation campaigns in a real IPython shell on a real server; the single rotation
(``%recipient rotate NAME``) still goes to its own command."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from sharekit.magics.credentials import handles


@pytest.mark.parametrize(("line", "campaign"), [
    ("review", True), ("review --days 7", True), ("rotate acme", False),
    ("rotate acme --expire-existing-in 60", False), ("rotate --expiring-within 30d --grace 7d", True),
    ("rotate a b", True), ("rotate acme --grace 1d", True), ("list", False), ("", False),
])
def test_routing(line: str, campaign: bool) -> None:
    assert handles(line) is campaign


def test_review_and_campaign_magics(ip_short: InteractiveShell) -> None:
    ip_short.run_line_magic("recipient", "create acme")
    ip_short.run_line_magic("recipient", "review -o found")
    assert {"token_never_expires", "link_unused"} <= set(ip_short.user_ns["found"].df["finding"])
    plan = ip_short.run_line_magic("recipient", "rotate --never-expires --grace 1d")
    assert [s.action for s in plan.steps] == ["blocked"]  # no workspace token lifetime: nothing to gain
    with pytest.raises(UsageError, match="--notify"):
        ip_short.run_line_magic("recipient", "rotate acme --grace 0 --yes")
    with pytest.raises(UsageError, match="no callable"):
        ip_short.run_line_magic("recipient", "rotate acme --grace 0 --yes --notify missing")
    sent: list[object] = []
    ip_short.user_ns["notify"] = sent.append
    result = ip_short.run_line_magic("recipient", "rotate acme --grace 0 --notify notify --yes")
    assert result.ok and len(sent) == 1 and "withheld" in repr(sent[0])
    single = ip_short.run_line_magic("recipient", "rotate acme --expire-existing-in 0")
    assert "new token for acme" in repr(single)
