"""Flask integration: decorators that verify the request's token and put the claims on
``flask.g.cognito_claims``.

```python
from flask import Flask, g
from cognito_verifier import CognitoVerifier
from cognito_verifier.flask import CognitoAuth

verifier = CognitoVerifier("eu-west-1_AbCdEf123", client_ids=["3u4p8example"], token_use="access")
auth = CognitoAuth(verifier)
app = Flask(__name__)

@app.get("/me")
@auth.required()
def me():
    return {"sub": g.cognito_claims.sub}

@app.get("/admin")
@auth.required(required_groups=["admins"])
def admin():
    ...
```

Sources, token kinds, groups, scopes, resources, checks and the answers (status, kind, RFC 6750
challenge, ``Retry-After``, the JSON body) are the crate's route policy
(``cognito_verifier.Policy``): this module only turns a rejection into a Flask response.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from flask import Response, g, request

from ._errors import VerificationError
from ._native import Policy

__all__ = ["CognitoAuth"]


class CognitoAuth:
    """Decorators over one verifier; ``**settings`` are :class:`cognito_verifier.Policy`'s."""

    def __init__(self, verifier: Any, **settings: Any):
        self._verifier = verifier
        self._settings = settings
        self.policy = Policy(verifier, **settings)

    def _policy(self, settings: dict[str, Any]) -> Any:
        if not settings:
            return self.policy
        return Policy(self._verifier, **{**self._settings, **settings})

    def required(self, **settings: Any) -> Callable:
        """A view needs a valid token (and what ``settings`` add): else the rejection."""
        return self._decorator(self._policy(settings))

    def optional(self, **settings: Any) -> Callable:
        """A view takes anonymous requests (``g.cognito_claims`` is ``None``); a token that is
        there must still be valid."""
        return self._decorator(self._policy({**settings, "optional": True}))

    @staticmethod
    def _decorator(policy: Any) -> Callable:
        def decorate(view: Callable) -> Callable:
            @functools.wraps(view)
            def wrapped(*args: Any, **kwargs: Any) -> Any:
                try:
                    g.cognito_claims = policy.authenticate(request.headers.items())
                except VerificationError as rejection:
                    return _response(rejection)
                return view(*args, **kwargs)

            return wrapped

        return decorate


def _response(rejection: VerificationError) -> Response:
    response = Response(rejection.body or "", status=rejection.status)
    for name, value in rejection.headers:
        response.headers[name] = value
    return response
