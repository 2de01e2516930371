"""Client-side errors for notebooks: one-line ``UsageError``s that name the failure and the next step.

IPython prints a traceback-free ``UsageError: message`` only for the exact ``UsageError`` type (subclasses get a
full traceback, ipython/ipython#14024), so these are real ``UsageError`` instances tagged with ``error_type``
(the jupysql pattern), not subclasses. ``%config ShareMagics.short_errors = False`` makes the magics raise the
underlying exception instead.
"""

from __future__ import annotations

from IPython.core.error import UsageError

CONFIG_INVALID = "ShareConfigError"
APPLY_FAILED = "ApplyFailed"
NOT_FOUND = "NotFound"
ALREADY_EXISTS = "AlreadyExists"
WORKSPACE_ERROR = "WorkspaceError"
NOT_CONNECTED = "NotConnected"
BAD_ARGUMENTS = "UsageError"


def usage_error(message: str, error_type: str = BAD_ARGUMENTS) -> UsageError:
    """A ``UsageError`` whose ``error_type`` says what kind of mistake it was."""
    error = UsageError(message)
    error.error_type = error_type  # type: ignore[attr-defined]
    return error


def workspace_message(err: BaseException) -> str:
    """The workspace's own message for a failed call, without the SDK's config suffix."""
    text = str(err) or type(err).__name__
    text = text.split(". Config: ", 1)[0]
    code = getattr(err, "error_code", None)
    return f"{code}: {text}" if code and not text.startswith(str(code)) else text


def from_workspace_error(err: BaseException, *, what: str = "") -> UsageError:
    """Map a databricks-sdk error to a one-line UsageError with a hint for the next step."""
    from databricks.sdk.errors import NotFound, PermissionDenied, ResourceConflict

    message = workspace_message(err)
    prefix = f"{what}: " if what else ""
    if isinstance(err, NotFound):
        return usage_error(f"{prefix}{message}", NOT_FOUND)
    if isinstance(err, ResourceConflict):
        return usage_error(f"{prefix}{message}", ALREADY_EXISTS)
    if isinstance(err, PermissionDenied):
        return usage_error(f"{prefix}{message} (check the token's permissions)", WORKSPACE_ERROR)
    return usage_error(f"{prefix}{message}", WORKSPACE_ERROR)


__all__ = ["ALREADY_EXISTS", "APPLY_FAILED", "BAD_ARGUMENTS", "CONFIG_INVALID", "NOT_CONNECTED", "NOT_FOUND",
           "WORKSPACE_ERROR", "from_workspace_error", "usage_error", "workspace_message"]
