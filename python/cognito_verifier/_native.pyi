"""Type stubs of the native module (kept by hand; stubtest checks them against the build)."""

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal, final

from typing_extensions import Self

__version__: str
__all__ = [
    "AccessClaims",
    "AlbVerifier",
    "CognitoVerifier",
    "IdClaims",
    "LambdaAuthorizer",
    "MultiPoolVerifier",
    "Policy",
    "RevocationList",
    "TestAlb",
    "TestIssuer",
    "__version__",
]

_TokenUse = Literal["id", "access", "any"]

class _Claims:
    @property
    def sub(self) -> str:
        """The subject: the user's id, or the app client's for machine tokens."""
    @property
    def iss(self) -> str:
        """The issuer."""
    @property
    def exp(self) -> int:
        """Expiry, seconds since the Unix epoch."""
    @property
    def iat(self) -> int:
        """Issue time, seconds since the Unix epoch."""
    @property
    def auth_time(self) -> int | None:
        """When the user authenticated, seconds since the Unix epoch."""
    @property
    def groups(self) -> list[str]:
        """The user's groups (``cognito:groups``)."""
    @property
    def origin_jti(self) -> str | None:
        """The session's id, with token revocation on."""
    @property
    def jti(self) -> str | None:
        """The token's id."""
    def in_group(self, group: str) -> bool: ...
    def custom_attribute(self, name: str) -> str | None: ...
    def to_dict(self) -> dict[str, Any]:
        """Every claim, as the token's JSON has it."""
    def __getitem__(self, key: str, /) -> Any: ...
    def get(self, name: str, default: Any = None) -> Any: ...
    def __contains__(self, key: str, /) -> bool: ...

@final
class AccessClaims(_Claims):
    """The claims of a verified Cognito access token."""

    @property
    def token_use(self) -> Literal["access"]: ...
    @property
    def client_id(self) -> str:
        """The app client the token was issued to."""
    @property
    def username(self) -> str | None:
        """The user name; ``None`` for machine-to-machine tokens."""
    @property
    def scopes(self) -> list[str]:
        """The granted scopes, sorted."""
    @property
    def aud(self) -> list[str]:
        """The resources the token is bound to."""
    @property
    def is_machine(self) -> bool:
        """Whether the token belongs to a machine (client credentials)."""
    def has_scope(self, scope: str) -> bool: ...

@final
class IdClaims(_Claims):
    """The claims of a verified Cognito ID token."""

    @property
    def token_use(self) -> Literal["id"]: ...
    @property
    def aud(self) -> str:
        """The app client the token was issued to."""
    @property
    def username(self) -> str | None:
        """The user name (``cognito:username``)."""
    @property
    def scopes(self) -> list[str]:
        """Always empty: ID tokens carry no scopes."""
    @property
    def email(self) -> str | None: ...
    @property
    def email_verified(self) -> bool | None: ...
    @property
    def phone_number(self) -> str | None: ...

_AnyClaims = IdClaims | AccessClaims

@final
class RevocationList:
    """Revoked sessions (``origin_jti``) and tokens (``jti``), shared by the verifiers given it."""

    def __new__(
cls, *, max_entries: int | None = None, lifetime_secs: int | None = None) -> Self: ...
    def revoke(self, id: str, lifetime_secs: int | None = None) -> None: ...
    def remove(self, id: str) -> bool: ...
    def is_revoked(self, id: str) -> bool: ...
    def __len__(self, /) -> int: ...

@final
class CognitoVerifier:
    """Verifies the ID and access tokens of one Cognito user pool."""

    def __new__(
        cls,
        user_pool_id: str | None = None,
        *,
        client_ids: Sequence[str] | None = None,
        token_use: _TokenUse | None = None,
        issuer: str | None = None,
        jwks_uri: str | None = None,
        danger_accept_any_client_id: bool = False,
        leeway_secs: int | None = None,
        required_groups: Sequence[str] | None = None,
        required_scopes: Sequence[str] | None = None,
        resources: Sequence[str] | None = None,
        allow_insecure_http: bool = False,
        static_jwks: str | dict[str, Any] | None = None,
        jwks: str | dict[str, Any] | None = None,
        token_cache: bool = False,
        revocations: RevocationList | None = None,
        issuer_format: Literal["cognito-idp", "issuer-cognito-idp"] | None = None,
        replica_regions: Sequence[str] | None = None,
        max_token_len: int | None = None,
    ) -> Self: ...
    def verify(self, token: object) -> _AnyClaims: ...
    def verify_id(self, token: object) -> IdClaims: ...
    def verify_access(self, token: object) -> AccessClaims: ...
    def verify_async(self, token: object) -> Awaitable[_AnyClaims]: ...
    def hydrate(self) -> None: ...
    def load_jwks(self, document: str | dict[str, Any]) -> None: ...
    def cached_jwks(self) -> str | None: ...
    @property
    def issuer(self) -> str | None: ...
    @property
    def jwks_uri(self) -> str | None: ...

@final
class MultiPoolVerifier:
    """Verifies the tokens of several pools, routed by ``iss``."""

    def __new__(
        cls,
        verifiers: Sequence[CognitoVerifier],
        *,
        resources: Sequence[str] | None = None,
        revocations: RevocationList | None = None,
    ) -> Self: ...
    def verify(self, token: object) -> _AnyClaims: ...
    def verify_id(self, token: object) -> IdClaims: ...
    def verify_access(self, token: object) -> AccessClaims: ...
    def verify_async(self, token: object) -> Awaitable[_AnyClaims]: ...

@final
class TestIssuer:
    """A local Cognito-shaped issuer for tests: keys, a JWKS on 127.0.0.1, a token minter."""

    __test__: bool

    def __new__(
cls, user_pool_id: str | None = None) -> Self: ...
    @property
    def issuer(self) -> str: ...
    @property
    def user_pool_id(self) -> str: ...
    @property
    def jwks_uri(self) -> str: ...
    @property
    def jwks_requests(self) -> int: ...
    def jwks(self) -> str: ...
    def verifier(self, client_id: str, token_use: _TokenUse = "any") -> CognitoVerifier: ...
    def access_token(
        self,
        client_id: str,
        *,
        username: str | None = None,
        groups: Sequence[str] | None = None,
        scopes: Sequence[str] | None = None,
        expired: bool = False,
        claims: dict[str, Any] | None = None,
        without: Sequence[str] | None = None,
    ) -> str: ...
    def id_token(
        self,
        client_id: str,
        *,
        username: str | None = None,
        groups: Sequence[str] | None = None,
        scopes: Sequence[str] | None = None,
        expired: bool = False,
        claims: dict[str, Any] | None = None,
        without: Sequence[str] | None = None,
    ) -> str: ...

_Source = Literal["bearer", "bearer_or_bare"] | tuple[Literal["header", "cookie"], str]
_Headers = Any  # a mapping, or an iterable of (name, value) pairs of str or bytes

@final
class Policy:
    """A route's requirements over a verifier (the crate's ``auth::Policy``)."""

    def __new__(
        cls,
        verifier: CognitoVerifier | MultiPoolVerifier | AlbVerifier | Policy,
        *,
        sources: Sequence[_Source] | None = None,
        token_use: _TokenUse | None = None,
        required_groups: Sequence[str] | None = None,
        required_scopes: Sequence[str] | None = None,
        resources: Sequence[str] | None = None,
        checks: Sequence[Callable[[_AnyClaims], str | None]] | None = None,
        optional: bool = False,
        allow_bare_token: bool = False,
        claims_in_rejections: bool = False,
    ) -> Self: ...
    def authenticate(self, headers: _Headers) -> _AnyClaims | None: ...
    def authenticate_async(self, headers: _Headers) -> Awaitable[_AnyClaims | None]: ...
    def authenticate_token(self, token: object) -> _AnyClaims: ...
    @property
    def optional(self) -> bool: ...

@final
class AlbVerifier:
    """Verifies ``x-amzn-oidc-data``, the user claims an Application Load Balancer signs."""

    def __new__(
        cls,
        load_balancer_arns: Sequence[str],
        *,
        client_ids: Sequence[str] | None = None,
        danger_accept_any_client_id: bool = False,
        user_pool_id: str | None = None,
        issuer: str | None = None,
        danger_accept_any_issuer: bool = False,
        region: str | None = None,
        keys_uri: str | None = None,
        allow_insecure_http: bool = False,
        keys: dict[str, str] | None = None,
        leeway_secs: int | None = None,
    ) -> Self: ...
    def verify(self, token: object) -> dict[str, Any]: ...

@final
class TestAlb:
    """A local Application Load Balancer for tests: signs user claims, serves its keys."""

    __test__: bool

    def __new__(cls) -> Self: ...
    @property
    def arn(self) -> str: ...
    @property
    def issuer(self) -> str: ...
    @property
    def keys_uri(self) -> str: ...
    def verifier(self, client_id: str) -> AlbVerifier: ...
    def token(
        self,
        client_id: str,
        *,
        username: str | None = None,
        email: str | None = None,
        expired: bool = False,
        claims: dict[str, Any] | None = None,
    ) -> str: ...


@final
class LambdaAuthorizer:
    """The crate's API Gateway authorizer (use ``cognito_verifier.aws_lambda.LambdaAuthorizer``)."""

    @staticmethod
    def from_env(environ: dict[str, str]) -> LambdaAuthorizer: ...
    @property
    def authorizer_type(self) -> str: ...
    @property
    def issuer(self) -> str: ...
    def decide(
        self, event: str, time_left_ms: int | None = None
    ) -> tuple[str | None, str | None, str | None, str | None]: ...
