"""Verify Amazon Cognito ID and access tokens: every check, the key cache, typed claims and stable
error kinds of the Rust crate ``cognito-verifier``, which this package binds.

>>> from cognito_verifier import CognitoVerifier
>>> verifier = CognitoVerifier(
...     "eu-west-1_AbCdEf123", client_ids=["3u4p8example"], token_use="access"
... )
"""

from __future__ import annotations

from ._errors import (
    ConfigurationError,
    Forbidden,
    InvalidToken,
    KeysUnavailable,
    VerificationError,
)
from ._native import (
    AccessClaims,
    AlbVerifier,
    CognitoVerifier,
    IdClaims,
    MultiPoolVerifier,
    Policy,
    RevocationList,
    TestAlb,
    TestIssuer,
    __version__,
)

__all__ = [
    "AccessClaims",
    "AlbVerifier",
    "CognitoVerifier",
    "ConfigurationError",
    "Forbidden",
    "IdClaims",
    "InvalidToken",
    "KeysUnavailable",
    "MultiPoolVerifier",
    "Policy",
    "RevocationList",
    "TestAlb",
    "TestIssuer",
    "VerificationError",
    "__version__",
]
