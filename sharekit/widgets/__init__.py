"""Widget forms and the usage dashboard (stock ipywidgets; state and logic in plain objects).

``ShareForm``, ``RecipientForm``, ``AccessForm`` and ``UsageDashboard`` take ``workspace=None`` (the notebook's
current workspace). Each has ``.widget`` (the root box), displays as that widget, and exposes ``.wait()`` to block
until the operation a click started has finished.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sharekit.widgets.access_form import AccessForm
    from sharekit.widgets.dashboard import UsageDashboard
    from sharekit.widgets.recipient_form import RecipientForm
    from sharekit.widgets.share_form import ShareForm

__all__ = ["AccessForm", "RecipientForm", "ShareForm", "UsageDashboard"]

_MODULES = {"AccessForm": "access_form", "RecipientForm": "recipient_form", "ShareForm": "share_form",
            "UsageDashboard": "dashboard"}


def __getattr__(name: str) -> Any:
    """Import a form's module (and ipywidgets) only when the form is used."""
    if name in _MODULES:
        from importlib import import_module  # a form's module pulls ipywidgets: only when the form is used

        return getattr(import_module(f"sharekit.widgets.{_MODULES[name]}"), name)
    raise AttributeError(f"module 'sharekit.widgets' has no attribute {name!r}")
