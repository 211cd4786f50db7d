#!/usr/bin/env bash
# Cold start of the Rust authorizer beside aws-jwt-verify on Node.js, both driven through the
# Lambda Runtime API by coldstart.py (see there for what is measured). From the repository root:
#   examples/lambda-authorizer/bench/coldstart.sh [RUNS]      (default 15)
# Builds the bootstrap that ships (scripts/build-lambda x86_64), a test pool's key set and token
# (examples/coldstart_fixture.rs), and installs aws-jwt-verify (npm) into target/coldstart-node.
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

echo "bootstrap: $(stat -c %s "$bootstrap") bytes; node $(node --version)," \
  "aws-jwt-verify $(node -p "require('./$node_dir/node_modules/aws-jwt-verify/package.json').version")"
python3 examples/lambda-authorizer/bench/coldstart.py --fixture target/coldstart-fixture \
  --runs "$runs" "Rust (this package)=$bootstrap" "aws-jwt-verify (Node.js)=node $node_dir/runtime.js"
