"""IPython magics: ``%%share`` (configuration as code), ``%recipient`` (recipient work), ``%sharekit``.

One module per magic (``share``, ``recipient``, ``connection``: each parses its input with the one raising
parser of ``parsing`` and calls ``sharekit.config`` / ``sharekit.recipients``); ``ShareMagics`` and the router
to them are in ``extension``. Results are rich objects the notebook displays. User mistakes are one-line
``UsageError``s; ``%config ShareMagics.short_errors = False`` raises the underlying exception instead (tests use
it so a failing magic fails the test).
"""

from __future__ import annotations

from sharekit.magics.extension import ShareMagics, load_ipython_extension
from sharekit.session import current_workspace, use_workspace

__all__ = ["ShareMagics", "current_workspace", "load_ipython_extension", "use_workspace"]
