#!/usr/bin/env bash
# Cold start of the Rust authorizer beside the Python package's authorizer
# (python/examples/lambda_authorizer.py), a Powertools (Python) authorizer and aws-jwt-verify on
# Node.js, all driven through the Lambda Runtime API by coldstart.py (see there for what is
# measured). From the repository root:
#   examples/lambda-authorizer/bench/coldstart.sh [RUNS]      (default 15)
# Builds the bootstrap that ships (scripts/build-lambda x86_64), a test pool's key set and token
# (examples/coldstart_fixture.rs), installs aws-jwt-verify (npm) into target/coldstart-node, and
# the Python wheel (scripts/build-python) with awslambdaric and Powertools into
# target/coldstart-python.
set -euo pipefail
cd "$(dirname "$0")/../../.."
runs=${1:-15}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

./scripts/build-lambda x86_64 >&2
bootstrap=target/lambda/cognito-lambda-authorizer/bootstrap
cargo run --quiet --manifest-path examples/lambda-authorizer/Cargo.toml \
  --example coldstart_fixture -- target/coldstart-fixture

node_dir=target/coldstart-node
mkdir -p "$node_dir"
cp examples/lambda-authorizer/bench/node/{package.json,index.js,runtime.js} "$node_dir/"
if [ ! -d "$node_dir/node_modules/aws-jwt-verify" ]; then
  npm install --silent --no-audit --no-fund --prefix "$node_dir" >&2
fi

wheel=$(./scripts/build-python | tail -1)
py=target/coldstart-python
[ -x "$py/bin/python" ] || python3 -m venv "$py"
"$py/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps "$wheel"
"$py/bin/pip" install --quiet --disable-pip-version-check "awslambdaric==4.*" \
  "aws-lambda-powertools==3.*" "pyjwt[crypto]==2.*"

echo "bootstrap: $(stat -c %s "$bootstrap") bytes; $("$py/bin/python" --version);" \
  "awslambdaric $("$py/bin/python" -c 'import importlib.metadata as m; print(m.version("awslambdaric"))');" \
  "powertools $("$py/bin/python" -c 'import importlib.metadata as m; print(m.version("aws-lambda-powertools"))');" \
  "node $(node --version)," \
  "aws-jwt-verify $(node -p "require('./$node_dir/node_modules/aws-jwt-verify/package.json').version")"
python3 examples/lambda-authorizer/bench/coldstart.py --fixture target/coldstart-fixture \
  --runs "$runs" --jwks-file-only "Powertools auth_alpha (Python)" \
  --jwks-file-only "floor: awslambdaric, no verification (Python)" \
  "Rust (this package)=$bootstrap" \
  "floor: awslambdaric, no verification (Python)=env PYTHONPATH=examples/lambda-authorizer/bench/python $py/bin/python -m awslambdaric floor_authorizer.handler" \
  "cognito-verifier (Python)=env PYTHONPATH=python/examples $py/bin/python -m awslambdaric lambda_authorizer.handler" \
  "Powertools auth_alpha (Python)=env PYTHONPATH=examples/lambda-authorizer/bench/python $py/bin/python -m awslambdaric powertools_authorizer.handler" \
  "aws-jwt-verify (Node.js)=node $node_dir/runtime.js"
