#!/usr/bin/env bash
# Runs a benchmark of bench/ (default: deploy) on a real Docker engine and a Temporal dev server it starts.
#   scripts/bench.sh deploy [Ns=1,20,100] [rounds] · memory [levels=0,1000,5000] [interval s] · api-latency [N] [D] [C] [stores] · observe [N] [I] [W] · multi-agent [N] [rounds]· terminate-all [N=1000] [batch] [direct|none]
set -euo pipefail
source "$(dirname "$0")/lib/provision.sh"
trap lm_cleanup EXIT
trap 'exit 130' INT TERM

name="${1:-deploy}"; shift || true
[ -f "$LM_ROOT/bench/$name.ts" ] || lm_die "no benchmark bench/$name.ts (have: $(cd "$LM_ROOT/bench" && ls *.ts | sed 's/\.ts$//' | tr '\n' ' '))"
lm_ensure_packages busybox-static
lm_ensure_docker
lm_ensure_temporal_cli
lm_ensure_build
(cd "$LM_ROOT" && npm run --silent build:dev) || lm_die "build of the benchmarks failed (npm run build:dev)"
# Its extra agents' private engines get bridges of their own.
[ "$name" != multi-agent ] || lm_ensure_packages iproute2
if [ "$name" = api-latency ]; then
  # Load from its own process; the read model on SQLite, then on a real PostgreSQL (its defaults: fsync on).
  lm_ensure_packages wrk
  lm_start_test_postgres postgres-bench
  export LM_BENCH_DATABASE_URL="$LM_TEST_DATABASE_URL"
fi
node "$LM_ROOT/.build/bench/$name.js" "$@"
