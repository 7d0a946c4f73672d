#!/usr/bin/env bash
# Installs what is missing and runs every test: unit, workflow (real Temporal), integration and
# end-to-end (real Docker, real PostgreSQL for the read model), then the API fuzz (scripts/fuzz-api.sh); before
# them, the scale check (DELETE …/all of LM_TEST_SCALE_INSTANCES live instances, default 1,000: bench/terminate-all).
# Arguments go to jest (e.g. a path to run one suite), and then only jest runs.
set -euo pipefail
source "$(dirname "$0")/lib/provision.sh"
trap lm_cleanup EXIT
trap 'exit 130' INT TERM

# chromium: the browser tests (Swagger UI, Temporal Web UI) drive Debian's headless Chromium.
# iproute2: the multi-agent tier's private Docker engines get bridges of their own.
lm_ensure_packages busybox-static ca-certificates curl bsdutils chromium iproute2
lm_ensure_docker
lm_ensure_temporal_cli
lm_ensure_build
# The read-model suites run on SQLite and on a real PostgreSQL (fsync off: a throwaway cluster).
LM_PG_FSYNC=off lm_start_test_postgres postgres-test
cd "$LM_ROOT"
lm_log "linting (eslint, type-aware)"
npm run --silent lint || lm_die "lint failed: fix what eslint says above (npm run lint)"
lm_log "checking the format (prettier)"
npm run --silent format:check >/dev/null || { npx prettier --list-different . >&2; lm_die "files not formatted as .prettierrc says: npm run format, then commit"; }
if [ $# -eq 0 ]; then
  # Every one terminated, none skipped, no container left, at a scale no jest suite reaches (~6 min on 2 cores).
  # First, while the engine holds nothing else: its 1,000 containers are the test, not what 25 minutes of suites left.
  scale="${LM_TEST_SCALE_INSTANCES:-1000}"
  [[ "$scale" =~ ^[1-9][0-9]{0,4}$ ]] || lm_die "LM_TEST_SCALE_INSTANCES=\"$scale\": a whole number of instances from 1 to 99999 (default 1000)"
  lm_log "scale check: DELETE …/all of $scale live instances (bench/terminate-all)"
  npm run --silent build:dev || lm_die "build of the benchmarks failed (npm run build:dev)"
  # No direct-removal baseline here: the check is about what is skipped or left, not the ratio (the bench's own run).
  node "$LM_ROOT/.build/bench/terminate-all.js" "$scale" 50 none ||
    lm_die "the scale check failed: its table above says what was skipped or left (scripts/bench.sh terminate-all $scale runs it alone)"
fi
npx jest --runInBand "$@"
if [ $# -eq 0 ]; then
  "$LM_ROOT/scripts/fuzz-api.sh" || lm_die "the API fuzz failed: the schemathesis output above names each failure and how to reproduce it (scripts/fuzz-api.sh runs it alone)"
fi
