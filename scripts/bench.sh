#!/usr/bin/env bash
# Runs a benchmark of bench/ (default: deploy) on a real Docker engine and a Temporal dev server it starts.
#   scripts/bench.sh deploy [N] [rounds] · memory [N] · api-latency [C] [D] · observe [N] [I] [W]
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
node "$LM_ROOT/dist/bench/$name.js" "$@"
