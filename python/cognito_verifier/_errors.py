"""The exceptions of cognito_verifier (pure Python, so they subclass Exception and ValueError on
every supported Python, and the native module raises them)."""

from __future__ import annotations


class VerificationError(Exception):
    """A token was not accepted.

    ``kind`` is the crate's stable snake_case name (``expired``, ``wrong_client_id``,
    ``missing_group``, ``jwks_fetch``, ...), ``status`` the HTTP status to answer (401, 403, 503,
    400), ``retry_after`` the seconds for ``Retry-After`` on a 503 (else ``None``). The message
    never contains the token.
    """

    def __init__(
        self,
        message: str,
        kind: str,
        status: int,
        retry_after: int | None = None,
        challenge: str | None = None,
        headers: list[tuple[str, str]] | None = None,
        body: str | None = None,
    ):
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.retry_after = retry_after
        #: The ``WWW-Authenticate`` value to answer with (RFC 6750), if any.
        self.challenge = challenge
        #: The response headers the crate's adapters send: ``content-type``,
        #: ``www-authenticate``, ``retry-after`` (lower-case names).
        self.headers = list(headers or [])
        #: The default JSON body: ``{"error": ..., "error_description": <kind>}``.
        self.body = body

    def __reduce__(self):
        return (
            type(self),
            (str(self), self.kind, self.status, self.retry_after, self.challenge, self.headers,
             self.body),
        )


class InvalidToken(VerificationError):
    """The token is bad (401): malformed, forged, expired, of another client or issuer, revoked."""


class Forbidden(VerificationError):
    """The token is genuine but not enough (403): a missing group or scope, a check's refusal."""


class KeysUnavailable(VerificationError):
    """The signing keys cannot be had right now (503): retry after ``retry_after`` seconds."""


class ConfigurationError(ValueError):
    """A setting is missing or invalid; the message names it."""
