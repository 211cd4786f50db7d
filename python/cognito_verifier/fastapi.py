"""FastAPI (and Starlette) integration: a dependency that gives the verified claims.

```python
from fastapi import Depends, FastAPI
from cognito_verifier import AccessClaims, CognitoVerifier
from cognito_verifier.fastapi import CognitoAuth

verifier = CognitoVerifier("eu-west-1_AbCdEf123", client_ids=["3u4p8example"], token_use="access")
auth = CognitoAuth(verifier)
admins = auth.narrow(required_groups=["admins"])
app = FastAPI()

@app.get("/me")
async def me(claims: AccessClaims = Depends(auth)):
    return {"sub": claims.sub}

@app.get("/admin")
async def admin(claims: AccessClaims = Depends(admins)):
    ...
```

Sources, token kinds, groups, scopes, resources, checks and the answers (status, kind, RFC 6750
challenge, ``Retry-After``) are the crate's route policy (``cognito_verifier.Policy``): this
module only turns a rejection into an ``HTTPException``. The docs page shows the bearer
security scheme.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import HTTPException, Request
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase

from ._errors import VerificationError
from ._native import Policy

__all__ = ["CognitoAuth"]


class CognitoAuth(SecurityBase):
    """A dependency verifying the request's token by a route policy.

    ``CognitoAuth(verifier, **settings)`` takes the settings of :class:`cognito_verifier.Policy`
    (``sources``, ``token_use``, ``required_groups``, ``required_scopes``, ``resources``,
    ``checks``, ``optional``, ``allow_bare_token``, ``claims_in_rejections``). The dependency
    gives ``IdClaims`` / ``AccessClaims`` (``None`` for an anonymous request when optional), or
    answers the rejection: 401 / 403 / 503 / 400 with the crate's ``WWW-Authenticate`` and
    ``Retry-After`` headers and ``{"detail": {"error": ..., "error_description": <kind>}}``.
    """

    def __init__(self, verifier: Any, *, scheme_name: str = "CognitoBearer", **settings: Any):
        self._verifier = verifier
        self._settings = settings
        self.policy = Policy(verifier, **settings)
        self.model = HTTPBearerModel(bearerFormat="JWT", description="An Amazon Cognito token")
        self.scheme_name = scheme_name
        self.auto_error = True

    def narrow(self, **settings: Any) -> CognitoAuth:
        """The same dependency with more (or other) settings, for one route."""
        merged = {**self._settings, **settings}
        return CognitoAuth(self._verifier, scheme_name=self.scheme_name, **merged)

    async def __call__(self, request: Request) -> Any:
        try:
            return await self.policy.authenticate_async(request.headers.raw)
        except VerificationError as rejection:
            raise _http_exception(rejection) from None


def _http_exception(rejection: VerificationError) -> HTTPException:
    headers = {name: value for name, value in rejection.headers if name != "content-type"}
    detail = json.loads(rejection.body) if rejection.body else {"error_description": rejection.kind}
    return HTTPException(status_code=rejection.status, detail=detail, headers=headers)
