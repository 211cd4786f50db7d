"""Times PyJWT on the shared fixture, with the checks a Cognito verifier needs; prints the median
ns/op of 7 batches."""
import json
import sys
import time

import jwt

with open(sys.argv[1]) as f:
    fx = json.load(f)

key = jwt.PyJWK(fx["jwks"]["keys"][0]).key


def verify(token):
    claims = jwt.decode(
        token,
        key,
        algorithms=["RS256"],
        issuer=fx["issuer"],
        options={"verify_aud": False, "require": ["exp", "iss"]},
    )
    if claims.get("token_use") != "access" or claims.get("client_id") != fx["client_id"]:
        raise ValueError("rejected")
    return claims


verify(fx["token"])  # must accept
batch = 500
for _ in range(batch):
    verify(fx["token"])
results = []
for _ in range(7):
    start = time.perf_counter_ns()
    for _ in range(batch):
        verify(fx["token"])
    results.append((time.perf_counter_ns() - start) / batch)
results.sort()
print(f"{results[3]:.0f}")
