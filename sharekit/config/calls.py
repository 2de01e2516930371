"""Count the HTTP calls a ``WorkspaceClient`` makes (a ``requests`` response hook on its session)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient


@dataclass
class CallCount:
    reads: int = 0
    writes: int = 0
    log: list[tuple[str, str, int]] = field(default_factory=list)  # (method, path, status)

    @property
    def total(self) -> int:
        return self.reads + self.writes

    def hook(self, response: Any, *args: Any, **kwargs: Any) -> Any:
        from urllib.parse import urlsplit

        method = response.request.method or "GET"
        if method in ("GET", "HEAD"):
            self.reads += 1
        else:
            self.writes += 1
        self.log.append((method, urlsplit(response.request.url).path, response.status_code))
        return response


def _session(client: WorkspaceClient) -> Any:
    """The SDK keeps its ``requests.Session`` at ``api_client._api_client._session`` (0.60 – 0.162)."""
    inner = getattr(client.api_client, "_api_client", None)
    return getattr(inner, "_session", None)


@contextmanager
def count_calls(client: WorkspaceClient) -> Iterator[CallCount]:
    """Count calls made inside the block; a client without the expected internals yields zero counts."""
    counter = CallCount()
    session = _session(client)
    hooks = session.hooks.setdefault("response", []) if session is not None else None
    if hooks is not None:
        hooks.append(counter.hook)
    try:
        yield counter
    finally:
        if hooks is not None and counter.hook in hooks:
            hooks.remove(counter.hook)
