"""Type aliases shared across sharekit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

JSON = dict[str, Any] | list[Any] | str | int | float | bool | None
JSONObject = dict[str, Any]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

Clock = Callable[[], float]
"""Returns the current time in seconds since the epoch (``time.time`` by default)."""
