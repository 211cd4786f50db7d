"""python/examples/lambda_authorizer.py run as Lambda runs it: the runtime interface client
(``awslambdaric``) against a Lambda Runtime API served on 127.0.0.1, handed the events API
Gateway sends, with tokens from the package's test kit. When the Rust authorizer's binary is
given (COGNITO_LAMBDA_BOOTSTRAP, as ./scripts/test does), it runs beside it under the same
settings, and every invocation's answer (the response, or the error's type and message) must be
the same."""

from __future__ import annotations

import json
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cognito_verifier import ConfigurationError, TestIssuer
from cognito_verifier.aws_lambda import LambdaAuthorizer

CLIENT = "test-client-1"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EVENTS = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "apigw"
BOOTSTRAP = os.environ.get("COGNITO_LAMBDA_BOOTSTRAP")
PREFIX = "/2018-06-01/runtime"


def event(name: str, token: str) -> dict:
    return json.loads((EVENTS / name).read_text().replace("@TOKEN@", token))


class RuntimeApi:
    """Lambda's Runtime API: hands out queued events, records what the function posts."""

    def __init__(self):
        self.events: queue.Queue = queue.Queue()
        self.posted: dict[str, queue.Queue] = {}
        self.init_error: queue.Queue = queue.Queue()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, status: int, body: bytes = b"", headers: dict | None = None):
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path != f"{PREFIX}/invocation/next":
                    return self.reply(404)
                request_id, body, deadline = api.events.get()
                self.reply(
                    200,
                    body.encode(),
                    {
                        "Lambda-Runtime-Aws-Request-Id": request_id,
                        "Lambda-Runtime-Deadline-Ms": str(deadline),
                        "Lambda-Runtime-Invoked-Function-Arn":
                            "arn:aws:lambda:eu-west-1:123456789012:function:authorizer",
                        "Lambda-Runtime-Trace-Id": "Root=1-5e1b4151-5ac6c58f3a4a3e8e6e0a7c1b",
                        "Content-Type": "application/json",
                    },
                )

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                parts = self.path[len(PREFIX):].strip("/").split("/")
                if parts == ["init", "error"]:
                    api.init_error.put(json.loads(body or "{}"))
                elif len(parts) == 3 and parts[0] == "invocation":
                    kind = "response" if parts[2] == "response" else "error"
                    error_type = self.headers.get("Lambda-Runtime-Function-Error-Type")
                    api.result_queue(parts[1]).put((kind, json.loads(body or "null"), error_type))
                else:
                    return self.reply(404)
                self.reply(202, b'{"status":"OK"}', {"Content-Type": "application/json"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        self.count = 0

    def result_queue(self, request_id: str) -> queue.Queue:
        return self.posted.setdefault(request_id, queue.Queue())

    def invoke(self, payload, budget_ms: int = 3000):
        """What the function posts for one event: ``("response", body)`` or
        ``("error", (errorType, errorMessage))``."""
        self.count += 1
        request_id = f"req-{self.count}"
        results = self.result_queue(request_id)
        body = payload if isinstance(payload, str) else json.dumps(payload)
        self.events.put((request_id, body, int(time.time() * 1000) + budget_ms))
        kind, posted, _ = results.get(timeout=30)
        if kind == "response":
            return kind, posted
        return kind, (posted.get("errorType"), posted.get("errorMessage"))

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Function:
    """A function process serving one Runtime API."""

    def __init__(self, command: list[str], env: dict[str, str], cwd: Path | None = None):
        self.api = RuntimeApi()
        full_env = {
            "PATH": os.environ.get("PATH", ""),
            "AWS_LAMBDA_RUNTIME_API": self.api.address,
            "AWS_LAMBDA_FUNCTION_NAME": "authorizer",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_REGION": "eu-west-1",
            **env,
        }
        self.log: list[str] = []
        self.process = subprocess.Popen(
            command,
            env=full_env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

        def read():
            for line in self.process.stdout:
                self.log.append(line.rstrip("\n"))

        self.reader = threading.Thread(target=read, daemon=True)
        self.reader.start()

    def invoke(self, payload, budget_ms: int = 3000):
        return self.api.invoke(payload, budget_ms)

    def close(self) -> list[str]:
        self.process.kill()
        self.process.wait(10)
        self.reader.join(5)
        self.api.close()
        return self.log


def python_function(env: dict[str, str]) -> Function:
    return Function([sys.executable, "-m", "awslambdaric", "lambda_authorizer.handler"], env,
                    cwd=EXAMPLES)


def functions(env: dict[str, str]) -> list[Function]:
    """The Python function, and the Rust one when its binary is given."""
    found = [python_function(env)]
    if BOOTSTRAP:
        found.append(Function([BOOTSTRAP], env))
    return found


def same_answers(env: dict[str, str], payloads: list, budget_ms: int = 3000) -> list:
    """Every payload's answer from each function: the same from all, returned once."""
    running = functions(env)
    try:
        answers = [[f.invoke(p, budget_ms) for p in payloads] for f in running]
    finally:
        logs = [f.close() for f in running]
    for other in answers[1:]:
        for payload, python, rust in zip(payloads, answers[0], other):
            assert comparable(python) == comparable(rust), (
                f"{str(payload)[:200]}: python {python} != rust {rust}"
            )
    same_answers.logs = logs  # type: ignore[attr-defined]
    return answers[0]


def comparable(answer):
    """An answer with the figures of an error's message (the milliseconds until the next key
    fetch, which differ between two processes) left out."""
    kind, posted = answer
    if kind == "error":
        return kind, (posted[0], re.sub(r"\d+", "N", posted[1] or ""))
    return answer


@pytest.fixture(scope="module")
def issuer() -> TestIssuer:
    return TestIssuer()


@pytest.fixture()
def static_keys(issuer, tmp_path) -> dict[str, str]:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(issuer.jwks())
    return {
        "USER_POOL_ID": issuer.user_pool_id,
        "CLIENT_IDS": CLIENT,
        "JWKS_FILE": str(jwks),
        "JWKS_FILE_MODE": "static",
    }


def test_the_rust_authorizer_is_compared_when_given():
    if os.environ.get("CI") or os.environ.get("COGNITO_REQUIRE_RUST_COMPARISON"):
        assert BOOTSTRAP and Path(BOOTSTRAP).is_file(), "COGNITO_LAMBDA_BOOTSTRAP is not a file"


def test_rest_token_answers_as_the_rust_authorizer(issuer, static_keys):
    env = {**static_keys, "PRINCIPAL_CLAIM": "username", "TOKEN_USE": "any"}
    good = issuer.access_token(CLIENT, username="alice", groups=["admins", "ops"],
                               scopes=["orders/read", "openid"])
    m2m = issuer.access_token(CLIENT, claims={"sub": "m2m-sub"}, without=["username"])
    answers = same_answers(env, [
        event("rest_token.json", good),
        event("rest_token.json", issuer.access_token(CLIENT, expired=True)),
        event("rest_token.json", issuer.access_token("another-app")),
        event("rest_token.json", ""),
        event("rest_token.json", "a" * 100_000),
        event("rest_token.json", m2m),
        event("rest_request.json", good),        # another type's event
        '{"type": 7}',
        event("rest_token.json", good),
    ])
    kind, allowed = answers[0]
    assert kind == "response"
    assert allowed["principalId"] == "alice"
    statement = allowed["policyDocument"]["Statement"][0]
    assert statement == {
        "Action": ["execute-api:Invoke"],
        "Effect": "Allow",
        "Resource": ["arn:aws:execute-api:eu-west-1:123456789012:abcdef123/prod/*"],
    }
    assert allowed["context"]["cognito:groups"] == "admins,ops"
    assert allowed["context"]["scope"] == "openid orders/read"
    assert all(isinstance(v, (str, int, float, bool)) for v in allowed["context"].values())
    for refused in answers[1:5]:
        assert refused == ("error", ("Unauthorized", "Unauthorized"))
    assert answers[5][1]["principalId"] == "m2m-sub"
    for bad in answers[6:8]:
        assert bad[0] == "error" and bad[1][0] == "BadEvent"
    assert answers[8] == answers[0], "the process goes on serving"
    python_log = "\n".join(same_answers.logs[0])  # type: ignore[attr-defined]
    assert "request refused: expired" in python_log
    assert good[:40] not in python_log


def test_groups_deny_and_the_method_scope(issuer, static_keys):
    env = {**static_keys, "TOKEN_USE": "id", "REQUIRED_GROUPS": "admins",
           "POLICY_SCOPE": "method"}
    answers = same_answers(env, [
        event("rest_token.json", issuer.id_token(CLIENT, groups=["users"])),
        event("rest_token.json", issuer.id_token(CLIENT, groups=["admins"])),
        event("rest_token.json", issuer.access_token(CLIENT, groups=["admins"])),
    ])
    denied, allowed, wrong_use = answers
    assert denied[1]["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert denied[1]["principalId"] == "unknown" and denied[1]["context"] == {}
    assert allowed[1]["policyDocument"]["Statement"][0]["Resource"] == [
        "arn:aws:execute-api:eu-west-1:123456789012:abcdef123/prod/GET/orders/7"
    ]
    assert wrong_use == ("error", ("Unauthorized", "Unauthorized"))


@pytest.mark.parametrize("kind", ["rest-request", "http-simple", "http-iam"])
def test_request_and_http_api_authorizers_answer_as_the_rust_authorizer(issuer, static_keys,
                                                                        kind):
    env = {**static_keys, "AUTHORIZER_TYPE": kind, "TOKEN_USE": "any"}
    name = "rest_request.json" if kind == "rest-request" else "http_v2.json"
    if kind == "rest-request":
        env["TOKEN_HEADER"] = "X-Auth-Token"
    good = issuer.access_token(CLIENT, username="bob")
    expired = issuer.access_token(CLIENT, expired=True)
    two = event(name, good)
    two.setdefault("multiValueHeaders", {})["x-auth-token" if kind == "rest-request"
                                            else "authorization"] = [good, expired]
    two.pop("identitySource", None)
    answers = same_answers(env, [event(name, good), event(name, expired), two,
                                 event("rest_token.json", good)])
    allowed, bad, ambiguous, other_type = answers
    assert other_type[0] == "error" and other_type[1][0] == "BadEvent"
    if kind == "http-simple":
        assert allowed == ("response", {"isAuthorized": True, "context": allowed[1]["context"]})
        assert allowed[1]["context"]["username"] == "bob"
        assert bad == ambiguous == ("response", {"isAuthorized": False})
    elif kind == "http-iam":
        assert allowed[1]["policyDocument"]["Statement"][0]["Effect"] == "Allow"
        for refused in (bad, ambiguous):
            assert refused[1]["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    else:
        assert allowed[1]["policyDocument"]["Statement"][0]["Effect"] == "Allow"
        assert bad == ambiguous == ("error", ("Unauthorized", "Unauthorized"))


def test_unreachable_keys_are_an_outage_and_no_verdict_outlives_the_invocation(issuer):
    # A key endpoint that accepts connections and never answers.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    env = {
        "USER_POOL_ID": issuer.user_pool_id,
        "CLIENT_IDS": CLIENT,
        "JWKS_URI": f"http://127.0.0.1:{silent.getsockname()[1]}/jwks.json",
        "FETCH_TIMEOUT_MS": "5000",
        "FETCH_DEADLINE_MS": "8000",
    }
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    try:
        token = issuer.access_token(CLIENT)
        (late,) = same_answers(env, [event("rest_token.json", token)], budget_ms=600)
        assert late == ("error", ("DeadlineExceeded",
                                  "no verdict before the invocation's deadline"))
        env["JWKS_URI"] = f"http://127.0.0.1:{closed_port}/jwks.json"
        env["FETCH_TIMEOUT_MS"] = "300"
        env["FETCH_DEADLINE_MS"] = "500"
        (down,) = same_answers(env, [event("rest_token.json", token)])
        assert down[0] == "error" and down[1][0] == "KeysUnavailable", down
        assert down[1][1].startswith("signing keys unavailable: ")
    finally:
        silent.close()


def test_bad_settings_fail_the_init_naming_the_variable(issuer):
    base = {"USER_POOL_ID": issuer.user_pool_id, "CLIENT_IDS": CLIENT}
    for name, value in [("REQUIRED_GROUPS", " , "), ("AUTHORIZER_TYPE", "rest"),
                        ("POLICY_SCOPE", "Method"), ("JWKS_FILE_MODE", "static")]:
        f = python_function({**base, name: value})
        try:
            error = f.api.init_error.get(timeout=30)
            assert f.process.wait(30) != 0
        finally:
            f.close()
        assert error["errorType"] == "ConfigurationError"
        assert name in error["errorMessage"], error
        with pytest.raises(ConfigurationError, match=name):
            LambdaAuthorizer.from_env({**base, name: value})


def test_the_handler_object_in_process(issuer):
    """The class as a library: any context (or none), any event, never a crash."""
    authorizer = LambdaAuthorizer.from_env({
        "USER_POOL_ID": issuer.user_pool_id, "CLIENT_IDS": CLIENT,
        "JWKS_URI": issuer.jwks_uri, "AUTHORIZER_TYPE": "http-simple",
    })
    assert authorizer.authorizer_type == "http-simple"
    assert authorizer.issuer == issuer.issuer
    assert issuer.user_pool_id in repr(authorizer)
    token = issuer.access_token(CLIENT)
    assert authorizer(event("http_v2.json", token))["isAuthorized"] is True

    class Context:
        def get_remaining_time_in_millis(self):
            return 10**30

    assert authorizer(event("http_v2.json", token), Context())["isAuthorized"] is True
    from cognito_verifier.aws_lambda import BadEvent
    # Not JSON an HTTP API sends (lone surrogates, NaN, objects): no event of this authorizer.
    for hostile in [None, "x", [1], {"version": "1.0"}, {"type": object()}, float("nan"),
                    {"identitySource": ["\ud800"]}]:
        with pytest.raises(BadEvent):
            authorizer(hostile)
    for odd in [{}, {"headers": {"authorization": "x" * 1_000_000}}, {"identitySource": [7]}]:
        assert authorizer(odd) == {"isAuthorized": False}
