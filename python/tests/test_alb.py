"""Application Load Balancer user claims (`x-amzn-oidc-data`), through the installed package,
with the package's test ALB signing tokens and serving their keys on 127.0.0.1."""

from __future__ import annotations

import pytest

from cognito_verifier import AlbVerifier, ConfigurationError, InvalidToken, Policy, TestAlb

CLIENT = "test-client-1"


@pytest.fixture(scope="module")
def alb() -> TestAlb:
    return TestAlb()


def test_alb_tokens_verify_with_the_verified_header_values(alb):
    verifier = alb.verifier(CLIENT)
    claims = verifier.verify(alb.token(CLIENT, username="dana", claims={"signer": "forged"}))
    assert claims["username"] == "dana"
    assert claims["signer"] == alb.arn and claims["client"] == CLIENT
    for token, kind in (
        (alb.token(CLIENT, expired=True), "expired"),
        (alb.token("another-app"), "wrong_client_id"),
        ("not-a-token", "malformed"),
    ):
        with pytest.raises(InvalidToken) as caught:
            verifier.verify(token)
        assert caught.value.kind == kind


def test_a_policy_reads_the_alb_header_by_default(alb):
    policy = Policy(alb.verifier(CLIENT))
    claims = policy.authenticate({"x-amzn-oidc-data": alb.token(CLIENT, username="erin")})
    assert claims["username"] == "erin"
    with pytest.raises(InvalidToken) as caught:
        policy.authenticate({"authorization": f"Bearer {alb.token(CLIENT)}"})
    assert (caught.value.status, caught.value.challenge) == (401, "Bearer")


def test_alb_configuration_is_checked(alb):
    with pytest.raises(ConfigurationError):
        AlbVerifier([], danger_accept_any_client_id=True, danger_accept_any_issuer=True)
    with pytest.raises(ConfigurationError):
        AlbVerifier([alb.arn], danger_accept_any_issuer=True)  # no client ids
    with pytest.raises(ConfigurationError):
        AlbVerifier(["arn:aws-cn:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/a/1"],
                    danger_accept_any_client_id=True, danger_accept_any_issuer=True)
