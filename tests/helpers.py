"""Small helpers shared by tests of several areas."""

from __future__ import annotations


def chart_svg(page: str) -> bytes:
    """The SVG document inside the page's chart image (a base64 data URI)."""
    import base64
    import re

    match = re.search(r'<img class="sharekit-chart" alt="[^"]*" src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', page)
    assert match, "no chart image in the HTML"
    return base64.b64decode(match.group(1))
