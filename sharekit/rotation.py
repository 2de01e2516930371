"""Rotation campaigns as a plan: choose recipients (by name, by "expiring within", by "never expires"), see per
recipient the new token's expiry and how long the old one keeps working, then apply; each new activation link
goes to the notifier you pass and nowhere else (no repr, table or log line of this module shows one).

>>> plan = plan_rotation(ws, expiring_within="30d", grace="7d")     # doctest: +SKIP
>>> plan                                                            # doctest: +SKIP
>>> plan.apply(notify=webhook_notifier("https://hooks.example/…"))  # doctest: +SKIP

Rules (Databricks'): a rotation can only shorten the old token (``existing_token_expire_in_seconds``); a recipient
has at most two live tokens, so one already at two is rotated only with a grace of 0; the new token's expiry is the
workspace's token lifetime (``delta_sharing_recipient_token_lifetime_in_seconds``; none set: it never expires).
The criteria are judged on the newest live token, so a campaign run twice rotates nobody the second time.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sharekit.analytics.access_review import workspace_token_lifetime
from sharekit.config.expiry import parse_expires
from sharekit.connect import WorkspaceLike, client_of
from sharekit.token_policy import lifetime_expiry

DURATION = re.compile(r"^\s*\d+\s*[smhdw]\s*$")
COLUMNS = ["recipient", "action", "why", "old_token_expires", "old_token_after", "new_token_expires"]


def duration_s(value: str | int | None, what: str) -> int | None:
    """Seconds from ``7d``, ``12h``, ``30m``, ``90s``, ``2w`` or a whole number of seconds."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, str) and DURATION.match(value):
        return int(parse_expires(value, now=0) or 0) // 1000  # the one parser of 7d/12h, counted from 0
    raise ValueError(f"{what} must be a duration like 7d, 12h or 30m (or seconds), got {value!r}")


@dataclass(frozen=True)
class RotationStep:
    recipient: str
    action: str  # rotate | skip | blocked
    why: str
    old_expires: int | None = None  # the newest live token's expiry now (None: never)
    old_after: int | None = None  # its expiry after the rotation
    new_expires: int | None = None  # the new token's expiry (None: never)


@dataclass(frozen=True, repr=False)
class RotationNotice:
    """What a notifier receives for one rotated recipient. ``activation_url`` is the secret: ``message`` and the
    repr leave it out (a logging notifier logs that a link was issued, not the link); ``to_json`` carries it."""

    recipient: str
    activation_url: str
    new_expires: int | None
    old_expires: int | None

    @property
    def message(self) -> str:
        return (f"new activation link issued for recipient {self.recipient!r}: the new token expires "
                f"{_when(self.new_expires)}, the previous one {_when(self.old_expires)}")

    def to_json(self) -> dict[str, Any]:
        return {"recipient": self.recipient, "activation_url": self.activation_url, "message": self.message,
                "new_token_expires": _iso(self.new_expires), "old_token_expires": _iso(self.old_expires)}

    def __repr__(self) -> str:
        return f"<RotationNotice {self.recipient!r} (link withheld)>"


Notifier = Callable[[RotationNotice], None]


@dataclass
class RotationPlan:
    grace_s: int
    created_at: int
    token_lifetime_s: int | None
    steps: list[RotationStep]
    client: Any = field(repr=False, default=None)

    @property
    def rotations(self) -> list[RotationStep]:
        return [s for s in self.steps if s.action == "rotate"]

    @property
    def blocked(self) -> list[RotationStep]:
        return [s for s in self.steps if s.action == "blocked"]

    @property
    def df(self) -> Any:
        import pandas as pd

        rows = [[s.recipient, s.action, s.why, _when(s.old_expires)] +
                ([_when(s.old_after), _when(s.new_expires)] if s.action == "rotate" else ["", ""]) for s in self.steps]
        return pd.DataFrame(rows, columns=COLUMNS)

    def summary(self) -> str:
        return (f"rotation plan: {len(self.rotations)} to rotate, {len(self.blocked)} blocked, "
                f"{len(self.steps) - len(self.rotations) - len(self.blocked)} skipped; old tokens keep working "
                f"{self.grace_s // 86_400}d {self.grace_s % 86_400 // 3600}h at most")

    def apply(self, notify: Notifier) -> RotationResult:
        """Rotate each planned recipient and hand its new link to ``notify``; a recipient that fails is reported
        and the others go on (a rotation is one call: it happened or it did not)."""
        if not callable(notify):
            raise TypeError("apply needs a notifier (a callable): new activation links are never printed")
        outcomes = [_rotate_one(self.client, step, self.grace_s, notify) for step in self.rotations]
        return RotationResult(outcomes)

    def __repr__(self) -> str:
        return self.summary() + ("\n" + self.df.to_string(index=False) if self.steps else "")

    def _repr_html_(self) -> str:
        return f"<div class='sharekit-rotation'><p>{html.escape(self.summary())}</p>" + (
            self.df.to_html(index=False, escape=True, border=0) if self.steps else "") + "</div>"


@dataclass(frozen=True)
class RotationOutcome:
    recipient: str
    rotated: bool
    notified: bool
    detail: str


@dataclass
class RotationResult:
    outcomes: list[RotationOutcome]

    @property
    def ok(self) -> bool:
        return all(o.rotated and o.notified for o in self.outcomes)

    @property
    def df(self) -> Any:
        import pandas as pd

        return pd.DataFrame([vars(o) for o in self.outcomes], columns=["recipient", "rotated", "notified", "detail"])

    def summary(self) -> str:
        rotated = sum(o.rotated for o in self.outcomes)
        notified = sum(o.notified for o in self.outcomes)
        return f"rotated {rotated} of {len(self.outcomes)} recipient(s); {notified} new link(s) handed to the notifier"

    def __repr__(self) -> str:
        return self.summary() + ("\n" + self.df.to_string(index=False) if self.outcomes else "")

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self.summary())}</p>" + (self.df.to_html(index=False, border=0)
                                                          if self.outcomes else "")


def plan_rotation(target: WorkspaceLike, names: Sequence[str] = (), *, expiring_within: str | int | None = None,
                  never_expires: bool = False, grace: str | int = "7d",
                  clock: Callable[[], float] = time.time) -> RotationPlan:
    """Choose TOKEN recipients by ``names``, by a newest token expiring within ``expiring_within`` and/or one that
    never expires; plan each rotation with the old token kept ``grace`` (7d, 12h, 0) at most."""
    window = duration_s(expiring_within, "expiring_within")
    grace_s = duration_s(grace, "grace")
    if grace_s is None:
        raise ValueError("grace must be a duration like 7d, or 0 to expire the old token at once")
    if not names and window is None and not never_expires:
        raise ValueError("choose recipients: names, expiring_within and/or never_expires")
    client = client_of(target)
    now = int(clock() * 1000)
    lifetime = workspace_token_lifetime(client)
    infos = {(i.name or ""): i for i in client.recipients.list()}
    unknown = sorted(set(names) - set(infos))
    if unknown:
        raise ValueError(f"unknown recipient(s): {', '.join(unknown)}")
    rule = _Rule(set(names), window, never_expires, now, grace_s, lifetime)
    steps = [step for name in sorted(infos) if (step := rule.step(infos[name])) is not None]
    return RotationPlan(grace_s, now, lifetime, steps, client)


@dataclass(frozen=True)
class _Rule:
    names: set[str]
    window_s: int | None
    never_expires: bool
    now: int
    grace_s: int
    lifetime_s: int | None

    def step(self, info: Any) -> RotationStep | None:
        name = info.name or ""
        live = sorted((t for t in info.tokens or [] if t.expiration_time is None or t.expiration_time > self.now),
                      key=lambda t: t.created_at or 0)
        newest = live[-1] if live else None
        why = self._chosen(name, newest)
        if why is None:
            return None
        kind = info.authentication_type.value if info.authentication_type is not None else ""
        if kind != "TOKEN":
            return RotationStep(name, "skip", f"{kind} recipients have no token to rotate")
        new_expires = lifetime_expiry(self.now, self.lifetime_s)
        if info.expiration_time is not None:  # the recipient's own expiration caps every token it gets
            new_expires = info.expiration_time if new_expires is None else min(new_expires, info.expiration_time)
        old = newest.expiration_time if newest is not None else None
        after = self.now + self.grace_s * 1000
        after = after if old is None else min(old, after)  # a rotation only ever shortens the old token
        step = RotationStep(name, "rotate", why, old, after if newest is not None else None, new_expires)
        return self._check(step, live, newest, info.expiration_time)

    def _chosen(self, name: str, newest: Any) -> str | None:
        expiry = newest.expiration_time if newest is not None else None
        if name in self.names:
            return "named"
        if self.never_expires and newest is not None and expiry is None:
            return "its token never expires"
        if self.window_s is not None and (newest is None or (expiry is not None and
                                                             expiry <= self.now + self.window_s * 1000)):
            return "no live token" if newest is None else f"its token expires {_when(expiry)}"
        return None

    def _check(self, step: RotationStep, live: list[Any], newest: Any, expiration: int | None) -> RotationStep:
        """Block what a rotation cannot fix or Databricks would refuse."""
        if len(live) >= 2 and newest is not None and newest.activation_url:
            return _as(step, "skip", "already rotated: its newest link is not used yet")
        if len(live) >= 2 and self.grace_s > 0:
            first = min((t.expiration_time for t in live if t.expiration_time), default=None)
            return _as(step, "blocked", f"at two live tokens: rotate with grace 0, or after {_when(first)}")
        if step.why == "its token never expires" and step.new_expires is None:
            return _as(step, "blocked", "the workspace sets no token lifetime: the new token would never expire "
                                        "either (set delta_sharing_recipient_token_lifetime_in_seconds)")
        due = step.why.startswith(("its token expires", "no live token"))  # chosen by the window, not by name
        if due and self.window_s is not None and step.new_expires is not None \
                and step.new_expires <= self.now + self.window_s * 1000:
            cause = "the recipient's own expiration" if step.new_expires == expiration else \
                "the workspace's token lifetime"
            return _as(step, "blocked", f"{cause} ends the new token within the window too ({_when(step.new_expires)})")
        return step


def _as(step: RotationStep, action: str, why: str) -> RotationStep:
    return RotationStep(step.recipient, action, why, step.old_expires, None, None)


def _rotate_one(client: Any, step: RotationStep, grace_s: int, notify: Notifier) -> RotationOutcome:
    try:
        info = client.recipients.rotate_token(step.recipient, grace_s)
    except OSError as err:  # databricks.sdk errors derive from OSError
        return RotationOutcome(step.recipient, False, False, f"not rotated: {str(err).splitlines()[0]}")
    fresh = [t for t in info.tokens or [] if t.activation_url]
    newest = max(fresh, key=lambda t: t.created_at or 0) if fresh else None
    if newest is None or not newest.activation_url:
        return RotationOutcome(step.recipient, True, False, "rotated, but the answer carried no activation link: "
                                                            "%recipient activation shows it")
    notice = RotationNotice(step.recipient, newest.activation_url, newest.expiration_time, step.old_after)
    try:
        notify(notice)
    except (RuntimeError, OSError, ValueError) as err:  # NotifyError and kin: the rotation stands, the link stays
        # readable (once) through %recipient activation
        return RotationOutcome(step.recipient, True, False, f"rotated; the notifier failed ({type(err).__name__}): "
                                                            "%recipient activation shows the link")
    return RotationOutcome(step.recipient, True, True, "rotated; new link handed to the notifier")


def _when(epoch_ms: int | None) -> str:
    return "never" if epoch_ms is None else _iso(epoch_ms) or ""


def _iso(epoch_ms: int | None) -> str | None:
    if epoch_ms is None:
        return None
    return dt.datetime.fromtimestamp(epoch_ms / 1000, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
