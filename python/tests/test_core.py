"""The Python API of cognito_verifier, as installed: genuine tokens, every check refusing on its
own with the crate's kind and status, hostile inputs, configuration, key sources, resources,
revocation, several pools, asyncio and threads. Keys are served by the package's own test kit
on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import json
import pickle
from concurrent.futures import ThreadPoolExecutor

import pytest

import cognito_verifier
from cognito_verifier import (
    AccessClaims,
    CognitoVerifier,
    ConfigurationError,
    Forbidden,
    IdClaims,
    InvalidToken,
    KeysUnavailable,
    MultiPoolVerifier,
    RevocationList,
    TestIssuer,
    VerificationError,
)

CLIENT = "test-client-1"


@pytest.fixture(scope="module")
def issuer() -> TestIssuer:
    return TestIssuer()


@pytest.fixture(scope="module")
def verifier(issuer: TestIssuer) -> CognitoVerifier:
    return issuer.verifier(CLIENT)


def pointed_at(issuer: TestIssuer, **settings) -> CognitoVerifier:
    """A verifier for ``issuer``'s tokens (its issuer and key URL), with ``settings``."""
    base = {
        "issuer": issuer.issuer,
        "jwks_uri": issuer.jwks_uri,
        "allow_insecure_http": True,
        "client_ids": [CLIENT],
        "token_use": "any",
    }
    return CognitoVerifier(issuer.user_pool_id, **{**base, **settings})


def test_installed_not_the_source_tree():
    # The suite runs against the installed package: the native module sits beside it.
    assert "site-packages" in cognito_verifier.__file__, cognito_verifier.__file__
    assert cognito_verifier.__version__


def test_genuine_tokens_give_typed_claims(issuer, verifier):
    access = verifier.verify(
        issuer.access_token(
            CLIENT,
            username="bob",
            groups=["admins"],
            scopes=["orders/read", "openid"],
            claims={"custom:tenant": "acme", "entitlements": {"seats": 3}},
        )
    )
    assert isinstance(access, AccessClaims)
    assert access.token_use == "access"
    assert access.username == "bob"
    assert access.client_id == CLIENT
    assert access.scopes == ["openid", "orders/read"]
    assert access.has_scope("orders/read") and not access.has_scope("orders/write")
    assert access.groups == ["admins"] and access.in_group("admins")
    assert access["custom:tenant"] == "acme"
    assert access.custom_attribute("tenant") == "acme"
    assert access["entitlements"] == {"seats": 3}
    assert access.get("nope", 7) == 7 and "nope" not in access and "sub" in access
    with pytest.raises(KeyError):
        access["nope"]
    everything = access.to_dict()
    assert everything["username"] == "bob" and everything["token_use"] == "access"
    assert access.iss == issuer.issuer and access.exp > access.iat
    assert not access.is_machine and access.aud == []
    assert "bob" in repr(access) and "AccessClaims(" in repr(access)

    id_claims = verifier.verify_id(issuer.id_token(CLIENT, username="carol"))
    assert isinstance(id_claims, IdClaims)
    assert (id_claims.token_use, id_claims.username, id_claims.aud) == ("id", "carol", CLIENT)
    assert id_claims.email == "alice@example.com" and id_claims.email_verified is True
    assert id_claims.scopes == []


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["cognito:groups"] = ["admins"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def _none_alg(token: str) -> str:
    _, payload, _ = token.split(".")
    header = base64.urlsafe_b64encode(b'{"alg":"none","kid":"test-key-1"}').rstrip(b"=")
    return f"{header.decode()}.{payload}."


def test_each_check_refuses_with_its_kind_and_status(issuer):
    verifier = issuer.verifier(CLIENT, "access")
    cases = [
        (issuer.access_token(CLIENT, expired=True), InvalidToken, "expired", 401),
        (issuer.access_token("another-app"), InvalidToken, "wrong_client_id", 401),
        (issuer.id_token(CLIENT), InvalidToken, "wrong_token_use", 401),
        (_tamper(issuer.access_token(CLIENT)), InvalidToken, "invalid_signature", 401),
        (_none_alg(issuer.access_token(CLIENT)), InvalidToken, "unsupported_algorithm", 401),
        (
            issuer.access_token(CLIENT, claims={"iss": "https://evil.example/pool"}),
            InvalidToken,
            "wrong_issuer",
            401,
        ),
        (issuer.access_token(CLIENT, without=["exp"]), InvalidToken, "missing_claim", 401),
        ("a.b", InvalidToken, "malformed", 401),
    ]
    for token, error, kind, status in cases:
        with pytest.raises(error) as caught:
            verifier.verify(token)
        assert (caught.value.kind, caught.value.status) == (kind, status), token
        assert isinstance(caught.value, VerificationError)
        assert caught.value.retry_after is None


def test_groups_and_scopes_are_403(issuer):
    admins = pointed_at(
        issuer, token_use="access", required_groups=["admins"], required_scopes=["orders/read"]
    )
    with pytest.raises(Forbidden) as caught:
        admins.verify(issuer.access_token(CLIENT, scopes=["orders/read"]))
    assert (caught.value.kind, caught.value.status) == ("missing_group", 403)
    with pytest.raises(Forbidden) as caught:
        admins.verify(issuer.access_token(CLIENT, groups=["admins"]))
    assert caught.value.kind == "missing_scope"
    ok = admins.verify(issuer.access_token(CLIENT, groups=["admins"], scopes=["orders/read"]))
    assert ok.in_group("admins")


def test_errors_never_carry_the_token_and_pickle(issuer, verifier):
    token = issuer.access_token("another-app")
    with pytest.raises(InvalidToken) as caught:
        verifier.verify(token)
    signature = token.rsplit(".", 1)[1]
    for text in (str(caught.value), repr(caught.value)):
        assert signature[:20] not in text and token[:40] not in text
    again = pickle.loads(pickle.dumps(caught.value))
    assert (type(again), again.kind, again.status) == (InvalidToken, "wrong_client_id", 401)


@pytest.mark.parametrize(
    "hostile",
    [None, 5, 3.5, b"a.b.c", ["a.b.c"], {"token": 1}, "", " ", "\ud800.\udfff.x", "a" * 1_000_000,
     "é" * 300_000, "\x00" * 10, "a.b.c.d.e"],
)
def test_hostile_inputs_are_malformed_tokens(verifier, hostile):
    with pytest.raises(InvalidToken) as caught:
        verifier.verify(hostile)
    assert caught.value.kind == "malformed"
    assert len(str(caught.value)) < 300


def test_bad_configuration_names_the_setting(issuer):
    def make(**settings):
        base = {"client_ids": [CLIENT], "token_use": "access"}
        base.update(settings)
        return CognitoVerifier("eu-west-1_AbC123", **base)

    cases = [
        ({"token_use": None}, "token_use"),
        ({"token_use": "both"}, "token_use"),
        ({"client_ids": None}, "client_ids"),
        ({"client_ids": "abc"}, "client_ids"),
        ({"client_ids": []}, "client_ids"),
        ({"danger_accept_any_client_id": True}, "exclusive"),
        ({"required_groups": []}, "required_groups"),
        ({"required_scopes": [""]}, "required_scopes"),
        ({"resources": []}, "resources"),
        ({"leeway_secs": 100_000}, "leeway"),
        ({"static_jwks": "not json"}, "jwks"),
        ({"issuer_format": "weird"}, "issuer_format"),
        ({"replica_regions": ["evil.example/x"]}, "replica_regions"),
        ({"max_token_len": 0}, "max_token_len"),
    ]
    for settings, named in cases:
        with pytest.raises(ConfigurationError) as caught:
            make(**settings)
        assert named in str(caught.value), (settings, str(caught.value))
        assert isinstance(caught.value, ValueError)
    with pytest.raises(ConfigurationError, match="user_pool_id"):
        CognitoVerifier(client_ids=[CLIENT], token_use="access")
    with pytest.raises(ConfigurationError):
        CognitoVerifier("not-a-pool", client_ids=[CLIENT], token_use="access")
    for settings in ({"leeway_secs": -1}, {"leeway_secs": "10"}, {"max_token_len": True}):
        with pytest.raises(ConfigurationError) as caught:
            make(**settings)
        assert next(iter(settings)) in str(caught.value)
    for settings in ({"max_entries": 0}, {"lifetime_secs": -5}):
        with pytest.raises(ConfigurationError):
            RevocationList(**settings)


def test_key_sets_handed_over_are_configuration(issuer):
    before = issuer.jwks_requests
    for document in (issuer.jwks(), json.loads(issuer.jwks())):
        fixed = CognitoVerifier(
            issuer.user_pool_id,
            issuer=issuer.issuer,
            client_ids=[CLIENT],
            token_use="any",
            static_jwks=document,
        )
        assert fixed.verify(issuer.access_token(CLIENT)).client_id == CLIENT
        preloaded = pointed_at(issuer, jwks=document)
        assert preloaded.verify(issuer.id_token(CLIENT)).aud == CLIENT
    assert issuer.jwks_requests == before, "nothing was fetched"
    # A made-up kid is a bad token (401), never an outage, with a static set.
    with pytest.raises(InvalidToken) as caught:
        fixed.verify(_with_kid(issuer.access_token(CLIENT), "made-up"))
    assert caught.value.kind == "unknown_kid"
    # Loaded at run time; a bad document is refused and the set stays.
    fixed.load_jwks(issuer.jwks())
    with pytest.raises(ConfigurationError):
        fixed.load_jwks("<html>")
    assert json.loads(fixed.cached_jwks())["keys"]


def _with_kid(token: str, kid: str) -> str:
    _, payload, signature = token.split(".")
    header = json.dumps({"kid": kid, "alg": "RS256"}).encode()
    return ".".join([base64.urlsafe_b64encode(header).rstrip(b"=").decode(), payload, signature])


def test_unavailable_keys_are_503_with_retry_after(issuer):
    # Nothing listens on the discard port.
    down = pointed_at(issuer, jwks_uri="http://127.0.0.1:9/jwks.json")
    token = issuer.access_token(CLIENT)
    with pytest.raises(KeysUnavailable) as caught:
        down.verify(token)
    assert (caught.value.kind, caught.value.status) == ("jwks_fetch", 503)
    with pytest.raises(KeysUnavailable) as caught:
        down.verify(token)
    assert caught.value.retry_after is not None and caught.value.retry_after >= 1
    with pytest.raises(KeysUnavailable):
        down.hydrate()


def test_resources_bind_access_tokens(issuer):
    api = pointed_at(issuer, token_use="access", resources=["https://orders.example.com"])
    bound = api.verify(issuer.access_token(CLIENT, claims={"aud": "https://orders.example.com"}))
    assert bound.aud == ["https://orders.example.com"]
    for token, kind in [
        (issuer.access_token(CLIENT, claims={"aud": "https://billing.example.com"}), "wrong_audience"),
        (issuer.access_token(CLIENT), "missing_claim"),
    ]:
        with pytest.raises(InvalidToken) as caught:
            api.verify(token)
        assert caught.value.kind == kind


def test_revoked_sessions_are_refused(issuer):
    revoked = RevocationList()
    v = pointed_at(issuer, token_cache=True, revocations=revoked)
    token = issuer.access_token(CLIENT, claims={"origin_jti": "session-1"})
    claims = v.verify(token)
    v.verify(token)  # now cached
    revoked.revoke(claims.origin_jti)
    assert revoked.is_revoked("session-1") and len(revoked) == 1
    with pytest.raises(InvalidToken) as caught:
        v.verify(token)
    assert (caught.value.kind, caught.value.status) == ("revoked", 401)
    assert revoked.remove("session-1")
    v.verify(token)
    with pytest.raises(ConfigurationError):
        revoked.revoke("")


def test_several_pools():
    a, b = TestIssuer("eu-west-1_PoolA"), TestIssuer("us-east-1_PoolB")
    multi = MultiPoolVerifier([a.verifier(CLIENT), b.verifier(CLIENT, "id")])
    assert multi.verify(a.access_token(CLIENT)).iss == a.issuer
    assert multi.verify(b.id_token(CLIENT)).iss == b.issuer
    with pytest.raises(InvalidToken) as caught:
        multi.verify(b.access_token(CLIENT))
    assert caught.value.kind == "wrong_token_use"
    stranger = TestIssuer("eu-west-1_Other1")
    with pytest.raises(InvalidToken) as caught:
        multi.verify(stranger.access_token(CLIENT))
    assert caught.value.kind == "wrong_issuer"
    with pytest.raises(ConfigurationError):
        MultiPoolVerifier([a.verifier(CLIENT), a.verifier(CLIENT)])


def test_asyncio_never_blocks_the_loop(issuer):
    async def main():
        cold = issuer.verifier(CLIENT)  # no keys yet: the first call fetches in an executor
        token = issuer.access_token(CLIENT, username="dave")
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        tick = asyncio.ensure_future(ticker())
        first = await cold.verify_async(token)
        results = await asyncio.gather(*(cold.verify_async(token) for _ in range(50)))
        tick.cancel()
        assert first.username == "dave" and all(r.sub == first.sub for r in results)
        with pytest.raises(InvalidToken):
            await cold.verify_async(issuer.access_token(CLIENT, expired=True))
        with pytest.raises(InvalidToken):
            await cold.verify_async(None)
        return ticks

    assert asyncio.run(main()) > 0


def test_one_verifier_serves_many_threads(issuer, verifier):
    tokens = [issuer.access_token(CLIENT, username=f"user-{i}") for i in range(40)]
    bad = issuer.access_token(CLIENT, expired=True)

    def work(i):
        claims = verifier.verify(tokens[i % len(tokens)])
        try:
            verifier.verify(bad)
        except InvalidToken as e:
            return claims.username, e.kind
        return claims.username, None

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(400)))
    assert all(kind == "expired" for _, kind in results)
    assert {name for name, _ in results} == {f"user-{i}" for i in range(40)}
