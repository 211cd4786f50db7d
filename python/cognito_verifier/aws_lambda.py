"""AWS Lambda: functions behind API Gateway, and API Gateway Lambda authorizers.

**Functions behind API Gateway**: verify the event's token with a route policy and get the
claims, or the HTTP response to return.

```python
from cognito_verifier import CognitoVerifier, Policy
from cognito_verifier.aws_lambda import authenticate_event

verifier = CognitoVerifier("eu-west-1_AbCdEf123", client_ids=["3u4p8example"], token_use="access")
policy = Policy(verifier, required_scopes=["orders/read"])   # built once, at init

def handler(event, context):
    claims, refusal = authenticate_event(policy, event)
    if refusal is not None:
        return refusal            # 401 / 403 / 503 with the crate's headers and body
    return {"statusCode": 200, "body": f"hello {claims.username}"}
```

Both API Gateway proxy payloads are read: REST APIs and HTTP APIs with payload 1.0
(``headers`` and ``multiValueHeaders``) and HTTP APIs with payload 2.0 (``headers``, where API
Gateway joins repeated headers with commas, and ``cookies``). The verdict is the crate's
(``cognito_verifier.Policy``): the same status, kind and challenge as every other adapter.

**Lambda authorizers**: :class:`LambdaAuthorizer` is the Rust authorizer package
(``examples/lambda-authorizer``) in Python: the same environment variables (``USER_POOL_ID``,
``CLIENT_IDS``, ``TOKEN_USE``, ``AUTHORIZER_TYPE``, ``REQUIRED_GROUPS``, ...), the same
responses, the same invocation errors, from the same code (the crate's ``aws_lambda`` module).

```python
from cognito_verifier.aws_lambda import LambdaAuthorizer

authorizer = LambdaAuthorizer.from_env()   # at init: once per cold start, keys fetched

def handler(event, context):
    return authorizer(event, context)
```
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from typing import Any

from ._errors import KeysUnavailable, VerificationError
from ._native import LambdaAuthorizer as _NativeAuthorizer

__all__ = [
    "BadEvent",
    "DeadlineExceeded",
    "LambdaAuthorizer",
    "Unauthorized",
    "authenticate_event",
    "event_headers",
    "refusal_response",
]

_log = logging.getLogger("cognito_verifier.aws_lambda")


def event_headers(event: dict[str, Any]) -> list[tuple[str, str]]:
    """The request headers of an API Gateway proxy event, as ``(name, value)`` pairs: every
    value of a repeated header (payload 1.0's ``multiValueHeaders``), and payload 2.0's
    ``cookies`` as one ``cookie`` header."""
    pairs: list[tuple[str, str]] = []
    multi = event.get("multiValueHeaders") or {}
    single = event.get("headers") or {}
    if multi:
        for name, values in multi.items():
            for value in values or []:
                pairs.append((name, value))
        # A header only in `headers` (API Gateway sends both; test tools may not).
        named = {name.lower() for name in multi}
        pairs.extend((n, v) for n, v in single.items() if n.lower() not in named and v is not None)
    else:
        pairs.extend((n, v) for n, v in single.items() if v is not None)
    cookies = event.get("cookies")
    if cookies:
        pairs.append(("cookie", "; ".join(cookies)))
    return pairs


def refusal_response(rejection: VerificationError) -> dict[str, Any]:
    """The API Gateway proxy response for a rejection: its status, headers and JSON body."""
    return {
        "statusCode": rejection.status,
        "headers": dict(rejection.headers),
        "body": rejection.body or "",
    }


def authenticate_event(policy: Any, event: dict[str, Any]) -> tuple[Any, dict[str, Any] | None]:
    """``(claims, None)`` when the event's request passes ``policy`` (claims ``None`` for an
    anonymous request on an optional policy), else ``(None, response)`` with the response to
    return."""
    try:
        return policy.authenticate(event_headers(event)), None
    except VerificationError as rejection:
        return None, refusal_response(rejection)


class Unauthorized(Exception):
    """A missing or bad token. Its message is exactly ``Unauthorized``, which API Gateway turns
    into a 401 (REST APIs); the Lambda runtime reports ``errorType`` ``Unauthorized``, as the
    Rust authorizer does."""

    def __init__(self, message: str = "Unauthorized"):
        super().__init__(message)


class DeadlineExceeded(Exception):
    """No verdict before the invocation's deadline (less 100 ms to answer in): API Gateway
    answers 500 and the client may retry."""


class BadEvent(Exception):
    """The event is not one the configured authorizer type receives (a REQUEST event sent to a
    TOKEN authorizer, ...): a misconfigured deployment, to alarm on. API Gateway answers 500."""


class LambdaAuthorizer:
    """An API Gateway Lambda authorizer, configured by environment variables: REST TOKEN and
    REQUEST authorizers (IAM policies; ``Unauthorized`` raised for a bad token, API Gateway's
    401) and HTTP API authorizers (payload 2.0, simple or IAM responses).

    Build it at module level, so it is built once per cold start; call it with the handler's
    ``(event, context)``. The answer is the Rust authorizer's, from the same code:

    - an Allow: an IAM policy for the API and stage (``POLICY_SCOPE=api``) or the method,
      ``principalId`` from ``PRINCIPAL_CLAIM`` (else ``sub``), the claims flattened into
      ``context``; HTTP ``http-simple``: ``{"isAuthorized": true, "context": ...}``;
    - a token lacking a required group or scope: a Deny (403); HTTP simple:
      ``isAuthorized: false``;
    - a missing or bad token: :class:`Unauthorized` raised (REST), ``isAuthorized: false`` or
      an explicit Deny (HTTP APIs);
    - keys that cannot be fetched: :class:`~cognito_verifier.KeysUnavailable` raised (500,
      clients retry), never a 401 that would sign users out;
    - past the invocation's deadline: :class:`DeadlineExceeded`; an event of another
      authorizer type: :class:`BadEvent`.

    Each refusal is logged once on the ``cognito_verifier.aws_lambda`` logger at INFO, with its
    ``kind`` and ``issuer`` (never the token).
    """

    __slots__ = ("_native",)

    def __init__(self, native: _NativeAuthorizer):
        self._native = native

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LambdaAuthorizer:
        """Reads the settings from ``environ`` (default ``os.environ``) and makes the first key
        fetch, for at most 2 s. Raises :class:`~cognito_verifier.ConfigurationError` naming
        the variable that is missing or invalid.

        ``USER_POOL_ID`` (or ``USER_POOL_IDS``, or ``ISSUER`` with ``AUDIENCES`` and
        ``JWKS_URI``), ``CLIENT_IDS``, ``TOKEN_USE`` (``access``), ``RESOURCES``,
        ``AUTHORIZER_TYPE`` (``rest-token``, ``rest-request``, ``http-simple``, ``http-iam``),
        ``TOKEN_HEADER``, ``PRINCIPAL_CLAIM``, ``POLICY_SCOPE``, ``REQUIRED_GROUPS``,
        ``REQUIRED_SCOPES``, ``JWKS_FILE`` with ``JWKS_FILE_MODE`` (``static`` or
        ``refresh``), ``JWKS_URI``, ``FETCH_TIMEOUT_MS``, ``FETCH_DEADLINE_MS``: see the
        authorizer package's README for each.
        """
        env = os.environ if environ is None else environ
        if _log.level == logging.NOTSET and not env.get("AWS_LAMBDA_LOG_LEVEL", "").strip():
            # As the Rust authorizer: refusals at INFO unless the function sets a log level
            # (which the Python runtime applies to the root logger) or the code sets ours.
            _log.setLevel(logging.INFO)
        return cls(_NativeAuthorizer.from_env({str(k): str(v) for k, v in env.items()}))

    @property
    def authorizer_type(self) -> str:
        """``rest-token``, ``rest-request``, ``http-simple`` or ``http-iam``."""
        return self._native.authorizer_type

    @property
    def issuer(self) -> str:
        """The issuer (comma-separated issuers) whose tokens are accepted."""
        return self._native.issuer

    def __call__(self, event: Any, context: Any = None) -> dict[str, Any]:
        """The response for API Gateway, or the invocation's exception raised."""
        time_left = None
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        if remaining is not None:
            time_left = min(max(int(remaining()), 0), 2**63)
        try:
            text = json.dumps(event)
        except (TypeError, ValueError):
            text = "null"  # not JSON: answered as BadEvent
        response, error_type, message, refusal = self._native.decide(text, time_left)
        if refusal is not None:
            _log.info(
                "request refused: %s",
                refusal,
                extra={"kind": refusal, "issuer": self._native.issuer},
            )
        if response is not None:
            answer: dict[str, Any] = json.loads(response)
            return answer
        if error_type == "Unauthorized":
            raise Unauthorized() from None
        if error_type == "KeysUnavailable":
            raise KeysUnavailable(message or error_type, refusal or "jwks_fetch", 503) from None
        if error_type == "DeadlineExceeded":
            raise DeadlineExceeded(message) from None
        if error_type == "BadEvent":
            raise BadEvent(message) from None
        # `Misconfigured` cannot come from `from_env`, which refuses such settings at init.
        raise RuntimeError(f"{error_type}: {message}") from None

    def __repr__(self) -> str:
        return f"LambdaAuthorizer(authorizer_type={self.authorizer_type!r}, issuer={self.issuer!r})"
