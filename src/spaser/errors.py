"""Domain exception tree.

    SpaserError                 base: carries a user-facing message and an HTTP status
    ├── InputError              bad input from a user or a file (400)
    │   └── UnreadableFileError a file that cannot be read at all (truncated, invalid, empty, binary)
    │       └── NotDecpDocumentError  text that is neither JSON nor XML (skipped inside a folder)
    ├── AuthenticationError     not logged in, or wrong credentials (401)
    ├── PermissionDeniedError   logged in, but this role or organisation may not do that (403)
    ├── NotFoundError           an object or a snapshot that does not exist (404)
    ├── ConflictError           the object's state forbids the action (a late bid, a published draft) (409)
    ├── TooManyRequestsError    too many attempts (login rate limit) (429)
    └── ConfigurationError      a setting that cannot work (500)

Services raise these; the CLI prints ``message`` and the web layer renders it once, as HTML or JSON.
"""

from __future__ import annotations


class SpaserError(Exception):
    """Base of every error spaser raises on purpose."""

    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputError(SpaserError):
    http_status = 400


class UnreadableFileError(InputError):
    """A whole file could not be read; names the file and, where known, the position."""

    def __init__(self, path: str, reason: str, position: str | None = None) -> None:
        where = f" at {position}" if position else ""
        super().__init__(f"{path}: unreadable{where}: {reason}")
        self.path = path
        self.reason = reason
        self.position = position


class NotDecpDocumentError(UnreadableFileError):
    """A text file that is neither JSON nor XML: an error when named, skipped when found in a folder."""


class NotFoundError(SpaserError):
    http_status = 404


class AuthenticationError(SpaserError):
    http_status = 401


class PermissionDeniedError(SpaserError):
    http_status = 403


class ConflictError(SpaserError):
    http_status = 409


class TooManyRequestsError(SpaserError):
    http_status = 429

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ConfigurationError(SpaserError):
    http_status = 500
