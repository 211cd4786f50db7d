"""The Rust examples' small API in FastAPI, behind cognito_verifier.fastapi.CognitoAuth:

    python python/examples/fastapi_app.py --issuer ISS --jwks-uri URL --client-id ID \\
        --token-use access --listen 127.0.0.1:3000

/public (anyone), /hello (optional: anonymous, or names the user), /me (any signed-in user),
/admin (group admins). Prints "listening on http://<address>" on stderr once it accepts
connections (with --listen 127.0.0.1:0, the port the system chose).
"""

from __future__ import annotations

import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import uvicorn  # noqa: E402
from fastapi import Depends, FastAPI  # noqa: E402
from fastapi.responses import PlainTextResponse  # noqa: E402

import _common  # noqa: E402
from cognito_verifier.fastapi import CognitoAuth  # noqa: E402


def app_for(verifier) -> FastAPI:
    auth = CognitoAuth(verifier, allow_bare_token=True)
    optional = auth.narrow(optional=True)
    admins = auth.narrow(required_groups=["admins"])
    app = FastAPI(title="cognito-verifier example")

    @app.get("/public", response_class=PlainTextResponse)
    async def public():
        return "anyone may read this\n"

    @app.get("/hello", response_class=PlainTextResponse)
    async def hello(claims=Depends(optional)):
        return _common.hello(claims)

    @app.get("/me", response_class=PlainTextResponse)
    async def me(claims=Depends(auth)):
        return _common.me(claims)

    @app.get("/admin", response_class=PlainTextResponse)
    async def admin(claims=Depends(admins)):
        return _common.admin(claims)

    return app


def main() -> None:
    verifier, host, port = _common.setup("fastapi_app")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    address = "%s:%d" % sock.getsockname()[:2]
    config = uvicorn.Config(app_for(verifier), log_level="warning")
    server = uvicorn.Server(config)
    print(f"listening on http://{address} (routes /public, /hello, /me, /admin)",
          file=sys.stderr, flush=True)
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
