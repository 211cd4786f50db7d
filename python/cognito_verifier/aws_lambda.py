"""AWS Lambda functions behind API Gateway: verify the event's token with a route policy and get
the claims, or the HTTP response to return.

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
"""

from __future__ import annotations

from typing import Any

from ._errors import VerificationError

__all__ = ["authenticate_event", "event_headers", "refusal_response"]


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
