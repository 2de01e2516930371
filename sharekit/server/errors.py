"""The server's exception tree and its two error shapes. One handler in ``app.py`` renders every one of them.

    SharekitError                 status 500 (never raised for a client mistake)
    ├── BadRequest                400  INVALID_PARAMETER_VALUE (or MALFORMED_REQUEST, ...)
    ├── Unauthenticated           401  UNAUTHENTICATED
    ├── Forbidden                 403  PERMISSION_DENIED
    ├── NotFound                  404  RESOURCE_DOES_NOT_EXIST (or SHARE_DOES_NOT_EXIST, ...)
    ├── Conflict                  409  RESOURCE_ALREADY_EXISTS (or SHARE_ALREADY_EXISTS, ...)
    └── PayloadTooLarge           413

REST routes render ``{"error_code", "message"}`` (Databricks shape); Delta Sharing protocol routes render
``{"errorCode", "message"}`` (protocol shape).
"""

from __future__ import annotations

from sharekit.server import paths


class SharekitError(Exception):
    status = 500
    default_code = "INTERNAL_ERROR"

    def __init__(self, message: str, error_code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.error_code = error_code or self.default_code


class BadRequest(SharekitError):
    status = 400
    default_code = "INVALID_PARAMETER_VALUE"


class Unauthenticated(SharekitError):
    status = 401
    default_code = "UNAUTHENTICATED"


class Forbidden(SharekitError):
    status = 403
    default_code = "PERMISSION_DENIED"


class NotFound(SharekitError):
    status = 404
    default_code = "RESOURCE_DOES_NOT_EXIST"


class Conflict(SharekitError):
    status = 409
    default_code = "RESOURCE_ALREADY_EXISTS"


class PayloadTooLarge(SharekitError):
    status = 413
    default_code = "REQUEST_TOO_LARGE"


def error_body(path: str, error_code: str, message: str) -> dict[str, str]:
    """Protocol routes use the Delta Sharing shape; everything else the Databricks REST shape."""
    if paths.is_protocol(path):
        return {"errorCode": error_code, "message": message}
    return {"error_code": error_code, "message": message}
