#!/usr/bin/env bash
# Runs every fuzz target for the given number of seconds (default 60), starting from the seeds
# in seeds/<target>/ and growing a scratch corpus in corpus/<target>/ (git-ignored). Crashes land
# in artifacts/<target>/. Needs the nightly toolchain and cargo-fuzz.
#
#   fuzz/run.sh 600          # ten minutes per target
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-60}
targets=$(cargo +nightly fuzz list | sort)
# Tools (gen_seeds) are examples, never listed: each listed name is a fuzz target.
[ "$targets" = "$(printf 'alb\njwks\nparse\nverify')" ] || {
  echo "unexpected fuzz target list: $targets" >&2
  exit 1
}
for target in $targets; do
  mkdir -p "corpus/$target"
  echo "== fuzz $target for ${secs}s"
  cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- \
    -max_total_time="$secs" -max_len=20000 -rss_limit_mb=2048 -print_final_stats=1
done
