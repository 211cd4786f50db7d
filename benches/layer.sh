#!/usr/bin/env bash
# Instructions per request of each `benches/layer.rs` case, counted by callgrind (repeatable
# whatever else the machine is doing, unlike timings). Needs valgrind (Debian's package).
# Usage: benches/layer.sh            prints a Markdown table
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || apt-get install -y valgrind >/dev/null
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
binary=$(cargo bench --all-features --bench layer --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "layer" and m.get("executable"):
        print(m["executable"])')
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "| case | instructions per request |"
echo "|---|---:|"
for case in verify_warm_access cached_token_hit axum_no_auth axum_layer axum_layer_token_cache; do
  valgrind --tool=callgrind --callgrind-out-file="$out/$case" \
    "$binary" --bench --profile-time 2 "layer/$case\$" >/dev/null 2>&1
  # The out-of-line function each case calls once per request: its inclusive cost / calls.
  case $case in axum_*) fn='layer::call' ;; *) fn='layer::verify' ;; esac
  callgrind_annotate --inclusive=yes --tree=caller "$out/$case" 2>/dev/null |
    python3 -c 'import re,sys
fn = sys.argv[1]; case = sys.argv[2]; done = False
for line in sys.stdin:  # read to the end: an early exit would fail the pipe
    if done:
        continue
    m = re.match(r"\s*([\d,]+) \([^)]*\)\s+<\s+[^:\s]*:(\S+) \((\d[\d,]*)x\)", line)
    if m and m.group(2).endswith("Bencher<M>::iter"):
        calls = int(m.group(3).replace(",", ""))
        cost = int(m.group(1).replace(",", ""))
    m = re.match(r"\s*([\d,]+) \([^)]*\)\s+\*\s+[^:\s]*:(\S+) ", line)
    if m and m.group(2) == fn:
        print(f"| {case} | {cost // calls:,} |"); done = True' "$fn" "$case"
done
