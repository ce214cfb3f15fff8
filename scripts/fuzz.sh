#!/usr/bin/env bash
# Fuzzes the job parser with libFuzzer for a bounded time: builds tests/fuzz/fuzz_job_parser in
# the "debug" preset (Clang, ASan, UBSan, DROPPERC_BUILD_FUZZERS=ON: CMakePresets.json; nothing to
# build when scripts/test.sh has just built it) and runs it over a copy of
# tests/fuzz/corpus/job_parser (the corpus in the repository is not changed). Fails (exit 1) on
# any crash, sanitizer report, exception other than JobError, hang (10 s per input) or allocation
# above 2 GB; the input that did it is left in build/debug/fuzz-findings.
# Needs clang and libclang-rt-14-dev (scripts/setup.sh installs them).
#
#   scripts/fuzz.sh [seconds]        default: 30
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
root="$PWD"
build="$root/build/debug"

cmake --preset debug >/dev/null
cmake --build --preset debug --target fuzz_job_parser

corpus="$build/fuzz-corpus"
findings="$build/fuzz-findings"
rm -rf "$corpus" "$findings"
mkdir -p "$corpus" "$findings"
cp tests/fuzz/corpus/job_parser/* "$corpus"/
cd "$findings"  # where libFuzzer leaves crash-*, timeout-*, oom-* inputs
"$build/tests/fuzz/fuzz_job_parser" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len=8192 -dict="$root/tests/fuzz/job_parser.dict" -print_final_stats=1 "$corpus"
