"""What the Python server examples share: their arguments (those of the Rust examples), the
verifier they build, and the texts of their routes (the Rust examples' texts)."""

from __future__ import annotations

import argparse
import sys

from cognito_verifier import CognitoVerifier, KeysUnavailable

USAGE = (
    "usage: {name} [--user-pool-id <region_id>] [--issuer <ISS>] [--jwks-uri <URL> | "
    "--jwks-file <PATH>] [--client-id <ID>]... [--token-use id|access|any] [--leeway-secs N] "
    "[--listen 127.0.0.1:3000]"
)


def setup(name: str) -> tuple[CognitoVerifier, str, int]:
    """The verifier and the address to listen on, from the command line (exit 2 on a usage
    error, as the Rust examples)."""
    parser = argparse.ArgumentParser(prog=name, usage=USAGE.format(name=name), add_help=True)
    parser.add_argument("--user-pool-id")
    parser.add_argument("--issuer")
    parser.add_argument("--jwks-uri")
    parser.add_argument("--jwks-file")
    parser.add_argument("--client-id", action="append", default=[])
    parser.add_argument("--token-use", default="any", choices=["id", "access", "any"])
    parser.add_argument("--leeway-secs", type=int)
    parser.add_argument("--listen", default="127.0.0.1:3000")
    args = parser.parse_args()
    settings: dict = {"token_use": args.token_use, "allow_insecure_http": True}
    if args.client_id:
        settings["client_ids"] = args.client_id
    else:
        print("note: no --client-id given, so the client id (aud / client_id) is not checked",
              file=sys.stderr)
        settings["danger_accept_any_client_id"] = True
    if args.leeway_secs is not None:
        settings["leeway_secs"] = args.leeway_secs
    if args.jwks_file:
        with open(args.jwks_file, encoding="utf-8") as f:
            settings["static_jwks"] = f.read()
    if args.issuer:
        settings["issuer"] = args.issuer
    if args.jwks_uri:
        settings["jwks_uri"] = args.jwks_uri
    elif args.jwks_file and args.issuer and not args.user_pool_id:
        settings["jwks_uri"] = "https://unused.invalid/jwks.json"
    if not args.user_pool_id and not (args.issuer and "jwks_uri" in settings):
        parser.print_usage(sys.stderr)
        print("error: give --user-pool-id, or --issuer with --jwks-uri or --jwks-file",
              file=sys.stderr)
        sys.exit(2)
    try:
        verifier = CognitoVerifier(args.user_pool_id, **settings)
    except ValueError as e:
        parser.print_usage(sys.stderr)
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    if not args.jwks_file:
        try:
            verifier.hydrate()
        except KeysUnavailable as e:
            print(f"warning: could not fetch the keys yet ({e}); requests will retry",
                  file=sys.stderr)
    host, _, port = args.listen.rpartition(":")
    return verifier, host or "127.0.0.1", int(port)


def me(claims) -> str:
    kind = "ID" if claims.token_use == "id" else "access"
    return (f"hello {claims.username or ''} ({claims.sub}), signed in with an {kind} token; "
            f"groups {claims.groups!r}\n").replace("'", '"')


def admin(claims) -> str:
    return f"welcome to the admin area, {claims.sub}\n"


def hello(claims) -> str:
    if claims is None:
        return "hello, stranger\n"
    return f"hello {claims.username or claims.sub}\n"
