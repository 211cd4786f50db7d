"""End to end against moto's Cognito (MOTO_PYTHON names a Python that has moto; ./scripts/test
installs it and sets it): a pool, an app client and users made through Cognito's API, tokens from
USER_PASSWORD_AUTH, verified by the installed package directly and through the FastAPI and Flask
examples as real servers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from cognito_verifier import CognitoVerifier, InvalidToken

from test_examples import EXAMPLES, Server

PASSWORD = "Corr3ct-Horse-Battery!"

pytestmark = pytest.mark.skipif(
    not os.environ.get("MOTO_PYTHON"),
    reason="MOTO_PYTHON is not set (./scripts/test installs moto and sets it)",
)


class Moto:
    def __init__(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [os.environ["MOTO_PYTHON"], "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/moto-api/", timeout=2).close()
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    self.process.kill()
                    raise RuntimeError("moto did not answer within 60 s") from None
                time.sleep(0.1)

    def call(self, action: str, body: dict) -> dict:
        request = urllib.request.Request(
            self.url,
            data=json.dumps(body).encode(),
            headers={
                "content-type": "application/x-amz-json-1.1",
                "x-amz-target": f"AWSCognitoIdentityProviderService.{action}",
            },
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
        return json.loads(text) if text else {}

    def close(self):
        self.process.kill()
        self.process.wait(10)


@pytest.fixture(scope="module")
def cognito():
    moto = Moto()
    pool = moto.call("CreateUserPool", {"PoolName": "python"})["UserPool"]["Id"]
    client = moto.call(
        "CreateUserPoolClient",
        {"UserPoolId": pool, "ClientName": "app", "GenerateSecret": False,
         "ReadAttributes": ["email", "email_verified"],
         "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]},
    )["UserPoolClient"]["ClientId"]
    tokens = {}
    for user, groups in (("alice", ["admins"]), ("bob", [])):
        moto.call("SignUp", {"ClientId": client, "Username": user, "Password": PASSWORD,
                             "UserAttributes": [{"Name": "email", "Value": f"{user}@example.com"}]})
        moto.call("AdminConfirmSignUp", {"UserPoolId": pool, "Username": user})
        for group in groups:
            moto.call("CreateGroup", {"UserPoolId": pool, "GroupName": group})
            moto.call("AdminAddUserToGroup",
                      {"UserPoolId": pool, "Username": user, "GroupName": group})
        result = moto.call(
            "InitiateAuth",
            {"ClientId": client, "AuthFlow": "USER_PASSWORD_AUTH",
             "AuthParameters": {"USERNAME": user, "PASSWORD": PASSWORD}},
        )["AuthenticationResult"]
        tokens[user] = result
    yield moto, pool, client, tokens
    moto.close()


def test_moto_tokens_verify_with_their_typed_claims(cognito):
    moto, pool, client, tokens = cognito
    verifier = CognitoVerifier(
        pool,
        jwks_uri=f"{moto.url}/{pool}/.well-known/jwks.json",
        allow_insecure_http=True,
        client_ids=[client],
        token_use="any",
    )
    access = verifier.verify_access(tokens["alice"]["AccessToken"])
    assert access.username == "alice" and access.client_id == client
    assert access.in_group("admins")
    id_claims = verifier.verify_id(tokens["alice"]["IdToken"])
    assert id_claims.aud == client and id_claims.email == "alice@example.com"
    # Another app client of the pool: refused, whichever token.
    other = CognitoVerifier(
        pool,
        jwks_uri=f"{moto.url}/{pool}/.well-known/jwks.json",
        allow_insecure_http=True,
        client_ids=["someone-else"],
        token_use="any",
    )
    for token, kind in ((tokens["bob"]["AccessToken"], "wrong_client_id"),
                        (tokens["bob"]["IdToken"], "wrong_audience")):
        with pytest.raises(InvalidToken) as caught:
            other.verify(token)
        assert caught.value.kind == kind
    # The refresh token is encrypted for Cognito: never accepted.
    with pytest.raises(InvalidToken):
        verifier.verify(tokens["bob"]["RefreshToken"])


@pytest.mark.parametrize("example", ["fastapi_app.py", "flask_app.py"])
def test_the_examples_serve_moto_users(cognito, example):
    moto, pool, client, tokens = cognito
    server = Server([
        sys.executable, str(EXAMPLES / example), "--user-pool-id", pool,
        "--jwks-uri", f"{moto.url}/{pool}/.well-known/jwks.json", "--client-id", client,
        "--token-use", "access", "--listen", "127.0.0.1:0",
    ])
    try:
        alice = {"Authorization": f"Bearer {tokens['alice']['AccessToken']}"}
        bob = {"Authorization": f"Bearer {tokens['bob']['AccessToken']}"}
        status, body, _ = server.get("/me", alice)
        assert status == 200 and body.startswith("hello alice ("), body
        assert server.get("/admin", alice)[0] == 200
        assert server.get("/admin", bob)[0] == 403
        assert server.get("/hello", bob)[:2] == (200, "hello bob\n")
        status, _, headers = server.get("/me", {"Authorization": f"Bearer {tokens['bob']['IdToken']}"})
        assert status == 401
        assert headers["www-authenticate"] == (
            'Bearer error="invalid_token", error_description="wrong_token_use"'
        )
    finally:
        server.close()
