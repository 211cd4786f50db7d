"""Verification speed in Python: cognito_verifier against the verifiers Python code uses today,
on the same token and key, in interleaved rounds, in one process. Not a test: a measurement.

    scripts/bench-python            # installs the built wheel and the peers into a venv, runs this

Each verifier checks a resource-bound Cognito access token (RS256, 2048-bit key, `aud` the
resource, `client_id` the app client) with its keys held in memory:

- cognito_verifier: `CognitoVerifier(..., static_jwks=...)`, every Cognito check.
- PyJWT with a cached key: `jwt.decode(token, key, algorithms=["RS256"], audience=...)`.
- PyJWKClient as the seeds' code uses it: `get_signing_key_from_jwt` (key set cached by the
  client) then `jwt.decode`.
- python-jose: `jwt.decode(token, jwk, algorithms=["RS256"], audience=...)`.
- Powertools `auth_alpha`: `JWTVerifier.cognito(user_pool_id=, client_id=, audience=, jwks=)`.
- bare RSA in Python: `cryptography`'s `public_key.verify` of the signature, no claims checks
  (no verifier can cost less than its RSA check, unless it is faster at RSA).

Then the same cognito_verifier verifier from 1 and 2 threads (it releases the GIL).
"""

from __future__ import annotations

import base64
import json
import statistics
import sys
import threading
import time

ROUNDS = 15
PER_ROUND = 0.3  # seconds per verifier per round

CLIENT = "bench-client"
RESOURCE = "https://orders.example.com"


def _b64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def setup():
    from cognito_verifier import CognitoVerifier, TestIssuer

    issuer = TestIssuer("us-east-1_Bench1")
    token = issuer.access_token(CLIENT, scopes=["orders/read"], claims={"aud": RESOURCE})
    jwks = json.loads(issuer.jwks())
    ours = CognitoVerifier(
        issuer.user_pool_id,
        client_ids=[CLIENT],
        token_use="access",
        resources=[RESOURCE],
        static_jwks=jwks,
    )
    ours.verify(token)
    return issuer, token, jwks, ours


def peers(issuer, token, jwks):
    """name -> zero-argument callable verifying `token`; missing libraries are left out."""
    header = json.loads(_b64(token.split(".")[0]))
    jwk = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    out = {}
    try:
        import jwt
        from jwt import PyJWK, PyJWKClient

        key = PyJWK(jwk).key
        out["PyJWT, key cached"] = lambda: jwt.decode(
            token, key, algorithms=["RS256"], audience=RESOURCE, issuer=issuer.issuer
        )
        client = PyJWKClient(issuer.jwks_uri)
        client.get_signing_key_from_jwt(token)

        def jwk_client():
            signing = client.get_signing_key_from_jwt(token)
            return jwt.decode(
                token, signing.key, algorithms=["RS256"], audience=RESOURCE, issuer=issuer.issuer
            )

        out["PyJWT PyJWKClient"] = jwk_client
    except ImportError:
        pass
    try:
        from jose import jwt as jose_jwt

        out["python-jose"] = lambda: jose_jwt.decode(
            token, jwk, algorithms=["RS256"], audience=RESOURCE, issuer=issuer.issuer
        )
    except ImportError:
        pass
    try:
        from aws_lambda_powertools.utilities.auth_alpha.jwt import JWTVerifier

        powertools = JWTVerifier.cognito(
            user_pool_id=issuer.user_pool_id, client_id=CLIENT, audience=RESOURCE, jwks=jwks
        )
        powertools.verify(token)
        out["Powertools auth_alpha"] = lambda: powertools.verify(token)
    except ImportError:
        pass
    try:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding, rsa

        n = int.from_bytes(_b64(jwk["n"]), "big")
        e = int.from_bytes(_b64(jwk["e"]), "big")
        public = rsa.RSAPublicNumbers(e, n).public_key()
        signed, signature = token.rsplit(".", 1)
        signing_input = signed.encode()

        def bare():
            public.verify(_b64(signature), signing_input, padding.PKCS1v15(), hashes.SHA256())

        out["bare RSA (cryptography)"] = bare
    except ImportError:
        pass
    return out


def rate(fn, seconds: float) -> float:
    """Calls per second of `fn` over about `seconds`."""
    n = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(50):
            fn()
        n += 50
        now = time.perf_counter()
        if now >= deadline:
            return n / (now - start)


def threaded_rate(fn, threads: int, seconds: float) -> float:
    counts = [0] * threads
    stop = time.perf_counter() + seconds
    barrier = threading.Barrier(threads + 1)

    def work(i):
        barrier.wait()
        n = 0
        while time.perf_counter() < stop:
            for _ in range(20):
                fn()
            n += 20
        counts[i] = n

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    start = time.perf_counter()
    barrier.wait()
    for w in workers:
        w.join()
    return sum(counts) / (time.perf_counter() - start)


def main() -> None:
    issuer, token, jwks, ours = setup()
    contenders = {"cognito_verifier": lambda: ours.verify(token)}
    contenders.update(peers(issuer, token, jwks))
    rounds: dict[str, list[float]] = {name: [] for name in contenders}
    ratios: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(ROUNDS):
        this_round = {name: rate(fn, PER_ROUND) for name, fn in contenders.items()}
        for name, r in this_round.items():
            rounds[name].append(r)
            ratios[name].append(this_round["cognito_verifier"] / r)
    print(f"python {sys.version.split()[0]}, {ROUNDS} interleaved rounds of {PER_ROUND} s each")
    print(f"{'verifier':<28}{'verifications/s':>16}{'us each':>10}{'cognito_verifier is':>22}")
    for name in contenders:
        median = statistics.median(rounds[name])
        ratio = statistics.median(ratios[name])
        print(f"{name:<28}{median:>16,.0f}{1e6 / median:>10.1f}{ratio:>20.2f}x")
    one = statistics.median(threaded_rate(contenders["cognito_verifier"], 1, 1.0) for _ in range(5))
    two = statistics.median(threaded_rate(contenders["cognito_verifier"], 2, 1.0) for _ in range(5))
    print(f"cognito_verifier from threads: 1 thread {one:,.0f}/s, 2 threads {two:,.0f}/s "
          f"({two / one:.2f}x)")


if __name__ == "__main__":
    main()
