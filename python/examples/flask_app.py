"""The Rust examples' small API in Flask, behind cognito_verifier.flask.CognitoAuth:

    python python/examples/flask_app.py --issuer ISS --jwks-uri URL --client-id ID \\
        --token-use access --listen 127.0.0.1:3000

/public (anyone), /hello (optional: anonymous, or names the user), /me (any signed-in user),
/admin (group admins). Prints "listening on http://<address>" on stderr once it accepts
connections (with --listen 127.0.0.1:0, the port the system chose).
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from flask import Flask, g  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

import _common  # noqa: E402
from cognito_verifier.flask import CognitoAuth  # noqa: E402

TEXT = {"Content-Type": "text/plain; charset=utf-8"}


def app_for(verifier) -> Flask:
    auth = CognitoAuth(verifier, allow_bare_token=True)
    app = Flask("flask_app")

    @app.get("/public")
    def public():
        return "anyone may read this\n", 200, TEXT

    @app.get("/hello")
    @auth.optional()
    def hello():
        return _common.hello(g.cognito_claims), 200, TEXT

    @app.get("/me")
    @auth.required()
    def me():
        return _common.me(g.cognito_claims), 200, TEXT

    @app.get("/admin")
    @auth.required(required_groups=["admins"])
    def admin():
        return _common.admin(g.cognito_claims), 200, TEXT

    return app


def main() -> None:
    verifier, host, port = _common.setup("flask_app")
    server = make_server(host, port, app_for(verifier), threaded=True)
    print(f"listening on http://{host}:{server.server_port} (routes /public, /hello, /me, /admin)",
          file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
