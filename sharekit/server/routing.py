"""Route groups: the routes of one area behind one path-prefix test."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.datastructures import URLPath
from starlette.routing import BaseRoute, Match, NoMatchFound

from sharekit.types import Receive, Scope, Send

_MATCHED = "sharekit.route"  # the scope key a group leaves the matched route under


class RouteGroup(BaseRoute):
    """Routes under one path prefix, tried as one. Starlette tries the routes of an app in order, one regular
    expression each; a request for another area costs one string test here instead of one per route. Inside
    the group the routes are tried in order as before, so what matches (and 405 for a wrong method) is unchanged."""

    def __init__(self, prefix: str, routes: Sequence[BaseRoute]) -> None:
        self.prefix = prefix
        self.routes = list(routes)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if not scope.get("root_path") and not str(scope.get("path", "")).startswith(self.prefix):
            return Match.NONE, {}
        partial: tuple[Match, Scope] | None = None
        for route in self.routes:
            match, child = route.matches(scope)
            if match == Match.FULL:
                return match, {**child, _MATCHED: route}
            if match == Match.PARTIAL and partial is None:
                partial = match, {**child, _MATCHED: route}
        return partial or (Match.NONE, {})

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        route: BaseRoute = scope[_MATCHED]
        await route.handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                continue
        raise NoMatchFound(name, path_params)
