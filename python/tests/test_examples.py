"""The FastAPI and Flask examples as real servers on 127.0.0.1, driven over HTTP as their users
drive them, with tokens from the package's test kit: the Rust examples' routes and texts, and,
when the Rust axum example's binary is given (COGNITO_RUST_AXUM_EXAMPLE, as ./scripts/test
does), the same status and challenge as the Rust server for every request."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from cognito_verifier import TestIssuer

CLIENT = "test-client-1"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


class Server:
    def __init__(self, command: list[str]):
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        found = threading.Event()
        self.address = None

        def read():
            for line in self.process.stderr:
                if line.startswith("listening on http://") and not found.is_set():
                    self.address = line[len("listening on http://"):].split(" ")[0].strip()
                    found.set()

        threading.Thread(target=read, daemon=True).start()
        if not found.wait(30):
            self.process.kill()
            raise RuntimeError(f"{command} did not start listening")

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, str, dict]:
        request = urllib.request.Request(f"http://{self.address}{path}", headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(), dict(e.headers)

    def close(self):
        self.process.kill()
        self.process.wait(10)


@pytest.fixture(scope="module")
def issuer() -> TestIssuer:
    return TestIssuer()


def _arguments(issuer: TestIssuer) -> list[str]:
    return ["--issuer", issuer.issuer, "--jwks-uri", issuer.jwks_uri, "--client-id", CLIENT,
            "--token-use", "any", "--listen", "127.0.0.1:0"]


@pytest.fixture(scope="module", params=["fastapi_app.py", "flask_app.py"])
def server(request, issuer):
    running = Server([sys.executable, str(EXAMPLES / request.param), *_arguments(issuer)])
    yield running
    running.close()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_examples_serve_the_rust_examples_routes(server, issuer):
    bob = issuer.access_token(CLIENT, username="bob")
    alice = issuer.access_token(CLIENT, username="alice", groups=["admins"])
    expired = issuer.access_token(CLIENT, expired=True)

    assert server.get("/public")[0] == 200
    assert server.get("/hello")[:2] == (200, "hello, stranger\n")
    assert server.get("/hello", _bearer(bob))[:2] == (200, "hello bob\n")
    status, body, headers = server.get("/hello", _bearer(expired))
    assert status == 401 and "expired" in body
    assert headers["www-authenticate"] == 'Bearer error="invalid_token", error_description="expired"'

    status, body, _ = server.get("/me", _bearer(bob))
    assert status == 200 and body.startswith("hello bob ("), body
    status, _, headers = server.get("/me")
    assert status == 401 and headers["www-authenticate"] == "Bearer"
    assert server.get("/me", _bearer(issuer.id_token(CLIENT)))[0] == 200
    # A bare token is allowed too (as in the Rust examples).
    assert server.get("/me", {"Authorization": bob})[0] == 200

    status, _, headers = server.get("/admin", _bearer(bob))
    assert status == 403
    assert headers["www-authenticate"] == (
        'Bearer error="insufficient_scope", error_description="missing_group"'
    )
    status, body, _ = server.get("/admin", _bearer(alice))
    assert status == 200 and "admin area" in body
    status, body, _ = server.get("/me", _bearer(issuer.access_token("other-client")))
    assert status == 401 and "wrong_client_id" in body


def test_the_fastapi_docs_show_the_bearer_scheme(issuer):
    running = Server([sys.executable, str(EXAMPLES / "fastapi_app.py"), *_arguments(issuer)])
    try:
        status, body, _ = running.get("/openapi.json")
        assert status == 200
        schema = json.loads(body)
        scheme = schema["components"]["securitySchemes"]["CognitoBearer"]
        assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
        assert scheme["bearerFormat"] == "JWT"
        assert schema["paths"]["/me"]["get"]["security"] == [{"CognitoBearer": []}]
    finally:
        running.close()


@pytest.mark.skipif(
    not os.environ.get("COGNITO_RUST_AXUM_EXAMPLE"),
    reason="the Rust axum example's binary is not given (./scripts/test gives it)",
)
def test_python_and_rust_servers_give_the_same_answers(issuer):
    rust = Server([os.environ["COGNITO_RUST_AXUM_EXAMPLE"], *_arguments(issuer)])
    python = [
        Server([sys.executable, str(EXAMPLES / name), *_arguments(issuer)])
        for name in ("fastapi_app.py", "flask_app.py")
    ]
    try:
        bob = issuer.access_token(CLIENT, username="bob")
        requests = [
            ("/me", {}),
            ("/me", _bearer("not.a.token")),
            ("/me", _bearer(issuer.access_token(CLIENT, expired=True))),
            ("/me", _bearer(issuer.access_token("other-client"))),
            ("/me", {"Authorization": "Basic dXNlcjpwYXNz"}),
            ("/me", _bearer(bob)),
            ("/admin", _bearer(bob)),
            ("/hello", {}),
            ("/hello", _bearer("a.b")),
        ]
        for path, headers in requests:
            status, _, answer = rust.get(path, headers)
            expected = (status, answer.get("www-authenticate"), answer.get("retry-after"))
            for server in python:
                status, _, answer = server.get(path, headers)
                got = (status, answer.get("www-authenticate"), answer.get("retry-after"))
                assert got == expected, (path, headers, server.process.args)
    finally:
        rust.close()
        for server in python:
            server.close()
