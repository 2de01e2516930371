"""The one colour palette: status lines, result tables, form messages, reports and charts take theirs here."""

from __future__ import annotations

SUCCESS = "#1f6f43"  # green: done, connected, nothing found
WARNING = "#8a5a00"  # amber: needs a look, not tried
ERROR = "#a4262c"  # red: failed, refused, personal data found
NEUTRAL = "#333"  # planned, or a level without a colour of its own
PENDING = "#555"  # an operation still running
HIGHLIGHT = "#ffe08a"  # the background of a change not applied yet

CHART_ALERT = "#c0392b"  # a chart's flagged points and bars over a limit
CHART_NORMAL = "#4c78a8"  # a chart's bars within the limit

LEVELS = {"info": SUCCESS, "warning": WARNING, "error": ERROR}
"""The colour of a message by its level."""

STATUSES = {"done": SUCCESS, "failed": ERROR, "not tried": WARNING, "planned": NEUTRAL,
            "active": SUCCESS, "permission denied": WARNING}
"""The colour of an applied (or planned) action by its status, and of a shared object's status."""


def level_colour(level: str, default: str = NEUTRAL) -> str:
    return LEVELS.get(level, default)
