#!/bin/sh
# Run a libFuzzer harness for a short while over a scratch copy of its seed
# corpus, so that new inputs and crash artifacts land in the build dir and
# never in the source tree.
# usage: run-fuzz.sh HARNESS SEED_DIR WORK_DIR [SECONDS]
set -eu
harness=$1 seeds=$2 work=$3 secs=${4:-20}
rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
cp -R "$seeds"/. "$work/corpus/"
exec "$harness" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
        -artifact_prefix="$work/artifacts/" "$work/corpus"
