#!/usr/bin/env python3
"""Cold start of a Lambda authorizer, measured through the Lambda Runtime API.

Each run starts a fresh process with AWS_LAMBDA_RUNTIME_API pointing at a Runtime API server on
127.0.0.1 and records, from just before the process is spawned:
  init    - until its first GET .../invocation/next (the runtime's init phase);
  verdict - until it POSTs the first invocation's response (a REST TOKEN event with a valid
            access token: the first verdict a cold function gives);
  peak    - its peak resident memory (VmHWM) once it asks for the next invocation.
A run whose process answers with an error, or not at all within 10 s, fails the benchmark.

Usage: coldstart.py --fixture DIR --runs N NAME=COMMAND... (bench/coldstart.sh gives the
commands). Each NAME is measured with JWKS_FILE (the key set bundled with the function) and
with JWKS_URI (fetched from a loopback HTTP server), runs interleaved round-robin; the output
is a Markdown table of medians (and the slowest run).
"""

import argparse
import http.server
import json
import os
import shlex
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

NEXT = "/2018-06-01/runtime/invocation/next"


class Run:
    """What one process did, as the Runtime API saw it."""

    def __init__(self, event):
        self.event = event
        self.started = 0.0
        self.init = None
        self.verdict = None
        self.response = None
        self.error = None
        self.served = False
        self.done = threading.Event()
        self.idle = threading.Event()
        self.over = threading.Event()


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a process killed at the end of its run resets its connection


class RuntimeApi(Server):
    run: Run = None


class RuntimeHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        run, now = self.server.run, time.perf_counter()
        if self.path != NEXT or run is None:
            return self.reply(404)
        if run.served:
            # The next invocation: the process is idle now; hold it until the run is over.
            run.idle.set()
            run.over.wait(10)
            return self.reply(500)
        run.served = True
        run.init = now - run.started
        deadline = int(time.time() * 1000) + 3000
        self.reply(200, run.event, [
            ("Content-Type", "application/json"),
            ("Lambda-Runtime-Aws-Request-Id", "coldstart-1"),
            ("Lambda-Runtime-Deadline-Ms", str(deadline)),
            ("Lambda-Runtime-Invoked-Function-Arn",
             "arn:aws:lambda:eu-west-1:123456789012:function:authorizer"),
            ("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000"),
        ])

    def do_POST(self):
        run, now = self.server.run, time.perf_counter()
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.reply(202, b"{}", [("Content-Type", "application/json")])
        if run is None:
            return
        if self.path.endswith("/response"):
            run.verdict, run.response = now - run.started, body
        else:
            run.error = body.decode(errors="replace")
        run.done.set()


class JwksHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    jwks = b""

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.jwks)))
        self.end_headers()
        self.wfile.write(self.jwks)


def serve(server):
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def peak_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


def measure(runtime, command, env, event):
    run = Run(event)
    runtime.run = run
    run.started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        if not run.done.wait(10):
            process.kill()
            raise SystemExit(f"{command[0]}: no verdict within 10 s (init "
                             f"{'done' if run.served else 'not done'}): "
                             f"{process.communicate()[1].decode(errors='replace')[-2000:]}")
        if run.error is not None:
            raise SystemExit(f"{command[0]}: the invocation failed: {run.error}")
        allowed = json.loads(run.response)["policyDocument"]["Statement"][0]["Effect"]
        if allowed != "Allow":
            raise SystemExit(f"{command[0]}: a valid token was not allowed: {run.response!r}")
        # Once it asks for the next invocation, its peak is reached; and only then is the run
        # over (a request still in flight would be taken for the next process's).
        if not run.idle.wait(2):
            raise SystemExit(f"{command[0]}: did not ask for the next invocation")
        peak = peak_kib(process.pid)
    finally:
        runtime.run = None
        run.over.set()
        process.kill()
        process.wait()
    return run.init, run.verdict, peak


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fixture", required=True, type=Path)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--jwks-file-only", action="append", default=[], metavar="NAME",
                        help="measure NAME with JWKS_FILE only (it cannot fetch from loopback)")
    parser.add_argument("commands", nargs="+", metavar="NAME=COMMAND")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    fixture = json.loads((args.fixture / "fixture.json").read_text())
    token = (args.fixture / "token").read_text().strip()
    jwks_file = str((args.fixture / "jwks.json").resolve())
    JwksHandler.jwks = Path(jwks_file).read_bytes()
    jwks_server = serve(Server(("127.0.0.1", 0), JwksHandler))
    jwks_uri = f"http://127.0.0.1:{jwks_server.server_address[1]}/jwks.json"
    runtime = serve(RuntimeApi(("127.0.0.1", 0), RuntimeHandler))
    event = json.dumps({
        "type": "TOKEN",
        "authorizationToken": f"Bearer {token}",
        "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:abcdef123/prod/GET/orders/7",
    }).encode()

    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{runtime.server_address[1]}",
        "AWS_LAMBDA_FUNCTION_NAME": "authorizer",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "USER_POOL_ID": fixture["user_pool_id"],
        "CLIENT_IDS": fixture["client_id"],
        "TOKEN_USE": "access",
        "AUTHORIZER_TYPE": "rest-token",
        # For a peer that needs the resource the token is bound to (Powertools).
        "AUDIENCE": fixture.get("resource", ""),
    }
    cases = []
    for spec in args.commands:
        name, _, command = spec.partition("=")
        for keys, extra in (("JWKS_FILE", {"JWKS_FILE": jwks_file, "JWKS_FILE_MODE": "static"}),
                            ("JWKS_URI (loopback fetch)", {"JWKS_URI": jwks_uri})):
            if name in args.jwks_file_only and keys != "JWKS_FILE":
                continue
            cases.append((name, keys, shlex.split(command), {**base, **extra}))

    results = {(name, keys): [] for name, keys, _, _ in cases}
    for _ in range(args.runs):
        for name, keys, command, env in cases:
            results[(name, keys)].append(measure(runtime, command, env, event))

    ms = lambda s: f"{s * 1000:.2f}"
    print(f"| authorizer | keys | init (ms) | first verdict (ms) | slowest verdict (ms) "
          f"| peak RSS (MiB) |")
    print("|---|---|---:|---:|---:|---:|")
    for (name, keys), runs in results.items():
        inits, verdicts, peaks = zip(*runs)
        print(f"| {name} | {keys} | {ms(statistics.median(inits))} "
              f"| {ms(statistics.median(verdicts))} | {ms(max(verdicts))} "
              f"| {statistics.median(peaks) / 1024:.1f} |")
    print(f"\nmedian of {args.runs} fresh processes each, interleaved; times from spawn")


if __name__ == "__main__":
    sys.exit(main())
