#!/usr/bin/env bash
# Installs what is missing and starts the whole Lifecycle Manager on this machine:
# Temporal (embedded dev server, Web UI on 8233), the LM worker and the REST API on port 46000.
# Ctrl-C stops everything it started.
set -euo pipefail
source "$(dirname "$0")/lib/provision.sh"
trap lm_cleanup EXIT
trap 'exit 130' INT TERM

export STANDALONE_MODE="${STANDALONE_MODE:-True}"
lm_ensure_docker
lm_ensure_temporal_cli
lm_ensure_build
lm_start_temporal

lm_port_free "${LM_PORT:-46000}" || lm_die "port ${LM_PORT:-46000} is taken; stop what uses it or set LM_PORT"
# The worker's Prometheus metrics; LM_METRICS_ADDRESS= (empty) turns them off.
export LM_METRICS_ADDRESS="${LM_METRICS_ADDRESS-127.0.0.1:9464}"
if [ -n "$LM_METRICS_ADDRESS" ]; then
  lm_port_free "${LM_METRICS_ADDRESS##*:}" \
    || lm_die "port ${LM_METRICS_ADDRESS##*:} (LM_METRICS_ADDRESS) is taken; set LM_METRICS_ADDRESS to another host:port, or to nothing to turn metrics off"
fi
mkdir -p "$LM_DATA_DIR/logs"
node "$LM_ROOT/dist/worker/main.js" >"$LM_DATA_DIR/logs/worker.log" 2>&1 &
LM_STARTED_PIDS+=("$!")
node "$LM_ROOT/dist/api/main.js" >"$LM_DATA_DIR/logs/api.log" 2>&1 &
LM_STARTED_PIDS+=("$!")

for _ in $(seq 1 60); do
  curl -sf "http://127.0.0.1:${LM_PORT:-46000}/api/v2" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -sf "http://127.0.0.1:${LM_PORT:-46000}/api/v2" >/dev/null 2>&1 \
  || { tail -n 20 "$LM_DATA_DIR/logs/api.log" >&2; lm_die "the LM API did not come up (see $LM_DATA_DIR/logs/api.log)"; }

mode="${LM_MODE:-}"
[ -n "$mode" ] || mode=$([ "$(echo "$STANDALONE_MODE" | tr '[:upper:]' '[:lower:]')" = false ] && echo MF2C || echo STANDALONE)
lm_log "Lifecycle Manager is running (mode: $mode)"
lm_log "  REST API      http://localhost:${LM_PORT:-46000}/api/v2   (docs: /api/v2/lm.html)"
[ -n "$LM_TEMPORAL_STARTED" ] && lm_log "  Temporal UI   http://localhost:${LM_TEMPORAL_UI_PORT:-8233}"
[ -n "$LM_METRICS_ADDRESS" ] && lm_log "  metrics       http://$LM_METRICS_ADDRESS/metrics   (Prometheus: the worker's)"
lm_log "  API metrics   http://localhost:${LM_PORT:-46000}/metrics   (Prometheus: requests, instances by status)"
lm_log "  logs          $LM_DATA_DIR/logs/{worker,api,temporal}.log"
lm_log "Ctrl-C stops it."
# Exit (and clean up) as soon as one of the processes ends.
wait -n "${LM_STARTED_PIDS[@]}" || true
lm_log "a process of the LM stopped; shutting down the rest"
