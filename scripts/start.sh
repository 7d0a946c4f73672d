#!/usr/bin/env bash
# Installs what is missing and starts the Lifecycle Manager on this machine. Ctrl-C stops everything it started.
#   scripts/start.sh         the whole LM: Temporal (embedded dev server, Web UI on 8233), the LM worker and the
#                            REST API on port 46000
#   scripts/start.sh agent   joins this machine to an existing cluster as one more agent (TEMPORAL_ADDRESS): only
#                            its LM worker (this agent's queue) and, unless LM_AGENT_API=false, its REST API
set -euo pipefail
source "$(dirname "$0")/lib/provision.sh"
trap lm_cleanup EXIT
trap 'exit 130' INT TERM

role=full
if [ "${1:-}" = agent ]; then role=agent; shift; fi
[ $# -eq 0 ] || lm_die "usage: scripts/start.sh [agent]   (got: $*)"

export STANDALONE_MODE="${STANDALONE_MODE:-True}"
export LM_ROLE="$role"
run_api=1
if [ "$role" = agent ]; then
  [ -n "${TEMPORAL_ADDRESS:-}" ] \
    || lm_die "scripts/start.sh agent joins an existing cluster: set TEMPORAL_ADDRESS to its Temporal (e.g. TEMPORAL_ADDRESS=10.0.0.1:7233) and HOST_IP to this machine's IP"
  [ "$(echo "${LM_AGENT_API:-true}" | tr '[:upper:]' '[:lower:]')" = false ] && run_api=
  lm_ensure_docker
  lm_ensure_build
  lm_log "joining the cluster at $TEMPORAL_ADDRESS as agent ${HOST_IP:-127.0.0.1}"
else
  lm_ensure_docker
  lm_ensure_example_image
  lm_ensure_temporal_cli
  lm_ensure_build
  lm_start_temporal
fi

# The API listens on every interface, or on LM_API_ADDRESS only (agents sharing a machine, one HOST_IP each,
# then share LM_PORT too); it is checked and reached at that address.
api_host="${LM_API_ADDRESS:-}"
case "$api_host" in '' | 0.0.0.0 | '::') api_host=127.0.0.1 ;; esac
api_url_host="$api_host"
case "$api_host" in *:*) api_url_host="[$api_host]" ;; esac
if [ -n "$run_api" ]; then
  lm_port_free "${LM_PORT:-46000}" "$api_host" \
    || lm_die "port ${LM_PORT:-46000} is taken on $api_host; stop what uses it or set LM_PORT (or LM_API_ADDRESS)"
fi
# The worker's Prometheus metrics (on LM_BIND_ADDRESS, loopback by default); LM_METRICS_ADDRESS= (empty) turns them off.
export LM_METRICS_ADDRESS="${LM_METRICS_ADDRESS-$LM_BIND_ADDRESS:${LM_METRICS_PORT:-9464}}"
if [ -n "$LM_METRICS_ADDRESS" ]; then
  lm_port_free "${LM_METRICS_ADDRESS##*:}" \
    || lm_die "port ${LM_METRICS_ADDRESS##*:} (LM_METRICS_ADDRESS) is taken; set LM_METRICS_ADDRESS to another host:port, or to nothing to turn metrics off"
fi

# Logs are appended to (rotated once large): what happened before a restart stays readable.
worker_log="$(lm_log_file worker)"
worker_from=$(( $(stat -c %s "$worker_log" 2>/dev/null || echo 0) + 1 ))
node "$LM_ROOT/dist/worker/main.js" >>"$worker_log" 2>&1 &
worker_pid=$!
LM_STARTED_PIDS+=("$worker_pid")
# The worker says when it runs; it exits at once, saying why, when it cannot join (no cluster, the queue taken).
for _ in $(seq 1 120); do
  tail -c "+$worker_from" "$worker_log" | grep -q '"msg":"LM worker running"' && break
  if ! kill -0 "$worker_pid" 2>/dev/null; then
    tail -c "+$worker_from" "$worker_log" | tail -n 20 >&2
    lm_die "the LM worker did not start (see $worker_log)"
  fi
  sleep 0.5
done

if [ -n "$run_api" ]; then
  node "$LM_ROOT/dist/api/main.js" >>"$(lm_log_file api)" 2>&1 &
  LM_STARTED_PIDS+=("$!")
  # With LM_API_TOKEN set no endpoint is open, the status endpoint included.
  lm_api_up() {
    local auth=()
    [ -n "${LM_API_TOKEN:-}" ] && auth=(-H "Authorization: Bearer $LM_API_TOKEN")
    curl -sf "${auth[@]}" "http://$api_url_host:${LM_PORT:-46000}/api/v2" >/dev/null 2>&1
  }
  for _ in $(seq 1 60); do
    lm_api_up && break
    sleep 0.5
  done
  lm_api_up || { tail -n 20 "$LM_DATA_DIR/logs/api.log" >&2; lm_die "the LM API did not come up (see $LM_DATA_DIR/logs/api.log)"; }
fi

mode="${LM_MODE:-}"
[ -n "$mode" ] || mode=$([ "$(echo "$STANDALONE_MODE" | tr '[:upper:]' '[:lower:]')" = false ] && echo MF2C || echo STANDALONE)
if [ "$role" = agent ]; then
  lm_log "LM agent ${HOST_IP:-127.0.0.1} is running (mode: $mode, cluster: $TEMPORAL_ADDRESS, worker pid $worker_pid)"
else
  lm_log "Lifecycle Manager is running (mode: $mode)"
fi
api_shown="localhost"
[ -n "${LM_API_ADDRESS:-}" ] && api_shown="$api_url_host"
[ -n "$run_api" ] && lm_log "  REST API      http://$api_shown:${LM_PORT:-46000}/api/v2   (docs: /api/v2/lm.html; agents: /api/v2/lm/agents)"
[ -n "$LM_TEMPORAL_STARTED" ] && lm_log "  Temporal UI   http://$LM_BIND_ADDRESS:${LM_TEMPORAL_UI_PORT:-8233}   (no authentication: loopback unless LM_BIND_ADDRESS says otherwise)"
[ -n "$LM_METRICS_ADDRESS" ] && lm_log "  metrics       http://$LM_METRICS_ADDRESS/metrics   (Prometheus: the worker's)"
[ -n "$run_api" ] && lm_log "  API metrics   http://$api_shown:${LM_PORT:-46000}/metrics   (Prometheus: requests, instances by status)"
lm_log "  logs          $LM_DATA_DIR/logs/{worker,api$([ "$role" = full ] && echo ,temporal)}.log"
lm_log "Ctrl-C stops it."
# Exit (and clean up) as soon as one of the processes ends.
wait -n "${LM_STARTED_PIDS[@]}" || true
lm_log "a process of the LM stopped; shutting down the rest"
