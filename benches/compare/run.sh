#!/usr/bin/env bash
# Measures, in one run on the same token, this crate, raw aws-lc-rs, jsonwebtoken, aws-jwt-verify
# (Node) and PyJWT (Python), and prints ns/op with the ratio to the raw RSA verify.
#
#   benches/compare/run.sh            # installs its npm and pip packages under target/compare/
#
# Needs cargo, node + npm and python3 + pip. Not run by CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=benches/compare
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
work="$target/compare"
mkdir -p "$work/node" "$work/py"

echo "== installing peers into $work (idempotent)" >&2
[ -d "$work/node/node_modules/aws-jwt-verify" ] || npm install --silent --prefix "$work/node" aws-jwt-verify@5 >&2
[ -d "$work/py/jwt" ] || python3 -m pip install --quiet --target "$work/py" "pyjwt[crypto]==2.*" >&2

echo "== Rust (criterion; writes the shared token to $work/fixture.json)" >&2
COMPARE_FIXTURE_DIR="$work" cargo bench --quiet --bench verify -- \
  '^(raw_rsa/parsed_key|raw_rsa/key_rebuilt_per_call|parse_only|non_crypto|non_crypto_typed|verify_warm_access|cached_token_hit|peer/jsonwebtoken_decode)$' >&2

echo "== aws-jwt-verify (Node $(node --version))" >&2
node_ns=$(NODE_PATH="$work/node/node_modules" node "$here/aws_jwt_verify.mjs" "$work/fixture.json" "$work/node/node_modules")
echo "== PyJWT (Python $(python3 --version | cut -d' ' -f2))" >&2
py_ns=$(PYTHONPATH="$work/py" python3 "$here/pyjwt_bench.py" "$work/fixture.json")

python3 - "$target/criterion" "$node_ns" "$py_ns" <<'PY'
import json, os, sys
crit, node_ns, py_ns = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
def mean(name):
    with open(os.path.join(crit, *name.split("/"), "new", "estimates.json")) as f:
        return json.load(f)["mean"]["point_estimate"]
rows = [
    ("raw RSA verify, aws-lc-rs ParsedPublicKey (the limit)", mean("raw_rsa/parsed_key")),
    ("raw RSA verify, key rebuilt from n/e per call", mean("raw_rsa/key_rebuilt_per_call")),
    ("this crate: verify_access_cached, warm (full verification)", mean("verify_warm_access")),
    ("this crate: parse only (base64url + header)", mean("parse_only")),
    ("this crate: non-crypto (parse, key lookup, every claim check)", mean("non_crypto")),
    ("this crate: non-crypto + typed AccessClaims", mean("non_crypto_typed")),
    ("this crate: verified-token cache hit (opt-in)", mean("cached_token_hit")),
    ("jsonwebtoken 11 (aws_lc_rs) decode + validate, key cached", mean("peer/jsonwebtoken_decode")),
    ("aws-jwt-verify 5 (Node) verifySync, cached JWKS", node_ns),
    ("PyJWT 2 (cryptography) decode + checks, key cached", py_ns),
]
raw = rows[0][1]
print("| per verification of one Cognito access token (RS256, RSA-2048) | ns/op | vs raw |")
print("|---|---:|---:|")
for name, ns in rows:
    print(f"| {name} | {ns:,.0f} | {ns / raw:.2f} |")
PY
