"""Functions behind API Gateway: the REST (payload 1.0) and HTTP API (payload 2.0) proxy events,
verified through the crate's route policy, with the answers of every other adapter."""

from __future__ import annotations

import json

import pytest

from cognito_verifier import Policy, TestIssuer
from cognito_verifier.aws_lambda import authenticate_event, event_headers

CLIENT = "test-client-1"


@pytest.fixture(scope="module")
def issuer() -> TestIssuer:
    return TestIssuer()


def rest_event(headers: dict[str, list[str]]) -> dict:
    return {
        "resource": "/orders",
        "path": "/orders",
        "httpMethod": "GET",
        "headers": {name: values[-1] for name, values in headers.items()},
        "multiValueHeaders": headers,
        "requestContext": {"stage": "prod", "requestId": "r1"},
        "body": None,
        "isBase64Encoded": False,
    }


def http_event(headers: dict[str, str], cookies: list[str] | None = None) -> dict:
    event = {
        "version": "2.0",
        "routeKey": "GET /orders",
        "rawPath": "/orders",
        "headers": headers,
        "requestContext": {"http": {"method": "GET", "path": "/orders"}, "stage": "$default"},
        "isBase64Encoded": False,
    }
    if cookies is not None:
        event["cookies"] = cookies
    return event


def test_rest_and_http_api_events_give_claims_or_the_adapters_answer(issuer):
    policy = Policy(issuer.verifier(CLIENT), required_groups=["admins"])
    admin = issuer.access_token(CLIENT, username="alice", groups=["admins"])
    user = issuer.access_token(CLIENT, username="bob")
    for event in (
        rest_event({"Authorization": [f"Bearer {admin}"]}),
        http_event({"authorization": f"Bearer {admin}"}),
    ):
        claims, refusal = authenticate_event(policy, event)
        assert refusal is None and claims.username == "alice"
    for event, status, error, description in (
        (rest_event({"Authorization": [f"Bearer {user}"]}), 403, "insufficient_scope",
         "missing_group"),
        (http_event({"authorization": f"Bearer {user}"}), 403, "insufficient_scope",
         "missing_group"),
        (rest_event({}), 401, "invalid_request", "no bearer token"),
        (http_event({"authorization": "Bearer x.y.z"}), 401, "invalid_token", "malformed"),
        # Two different tokens (payload 1.0 keeps both values): ambiguous.
        (rest_event({"Authorization": [f"Bearer {admin}", f"Bearer {user}"]}), 400,
         "invalid_request", "more than one token"),
    ):
        claims, refusal = authenticate_event(policy, event)
        assert claims is None
        assert refusal["statusCode"] == status, (event, refusal)
        body = json.loads(refusal["body"])
        assert (body["error"], body["error_description"]) == (error, description)
        assert refusal["headers"]["content-type"] == "application/json"
    _, refusal = authenticate_event(policy, rest_event({"Authorization": [f"Bearer {user}"]}))
    assert refusal["headers"]["www-authenticate"] == (
        'Bearer error="insufficient_scope", error_description="missing_group"'
    )


def test_cookies_of_http_api_events_are_a_token_source(issuer):
    token = issuer.access_token(CLIENT, username="carol")
    policy = Policy(issuer.verifier(CLIENT), sources=[("cookie", "session"), "bearer"])
    claims, refusal = authenticate_event(
        policy, http_event({}, cookies=["theme=dark", f"session={token}"])
    )
    assert refusal is None and claims.username == "carol"
    assert ("cookie", f"theme=dark; session={token}") in event_headers(
        http_event({}, cookies=["theme=dark", f"session={token}"])
    )


def test_optional_policies_let_anonymous_events_through(issuer):
    policy = Policy(issuer.verifier(CLIENT), optional=True)
    assert authenticate_event(policy, http_event({})) == (None, None)
    claims, refusal = authenticate_event(
        policy, http_event({"authorization": f"Bearer {issuer.access_token(CLIENT, expired=True)}"})
    )
    assert claims is None and refusal["statusCode"] == 401
