#!/usr/bin/env bash
# Fuzzes the REST API of a real LM (real Temporal dev server, real Docker, the built dist/) with schemathesis
# `--checks all`, against the OpenAPI document it serves: once without a token, once with LM_API_TOKEN set.
# The LM, its Temporal and a loopback file server for compose files run in a network namespace of their own that
# has only `lo`: nothing they do can reach another address, and the kernel's count of packets that found no route
# proves they did not try. Everything the fuzz made is terminated and checked gone at the end.
# Exit status: 0 when both runs found no failure, and nothing tried to leave loopback.
# Phases: examples, coverage (boundary values, and methods an operation does not serve, TRACE included) and
# fuzzing. The stateful phase is left out: it chains calls for minutes, past what the test command can spend.
#   LM_FUZZ_EXAMPLES (default 5)   test cases per operation in the fuzzing phase
set -euo pipefail
source "$(dirname "$0")/lib/provision.sh"
trap 'fuzz_cleanup' EXIT
trap 'exit 130' INT TERM

EXAMPLES="${LM_FUZZ_EXAMPLES:-5}"
TOKEN="fuzz-token-$$"
NS="lm-fuzz-$$"
# Inside the namespace every port is free: fixed ones do not collide with anything outside it.
TEMPORAL_PORT=7233
API_PORT=46000
TOKEN_API_PORT=46001
FILES_PORT=8080
AGENT_IP=127.0.0.1
FUZZ_DIR=
NS_MADE=
PEER_UUID="$(cat /proc/sys/kernel/random/uuid)"

lm_ensure_packages iproute2 curl
lm_ensure_docker
lm_ensure_example_image
lm_ensure_temporal_cli
lm_ensure_schemathesis
lm_ensure_build
[ "$(id -u)" = 0 ] || lm_die "the fuzz runs the LM in a network namespace of its own: run it as root"

in_ns() { ip netns exec "$NS" "$@"; }

# Sends what the fuzz made to terminate, waits until nothing is left of it, then stops what this script started.
fuzz_cleanup() {
  local status=$?
  if [ -n "$FUZZ_DIR" ] && [ -n "${CLUSTER_ID:-}" ]; then terminate_everything || status=1; fi
  lm_cleanup
  # What runs in the namespace is a child of `ip netns exec`, not always of a pid recorded above: stop all of it,
  # or the dev server, worker, APIs and file server outlive the script in a namespace nobody can name any more.
  if [ -n "$NS_MADE" ]; then
    stop_namespace_processes || status=1
    ip netns delete "$NS" 2>/dev/null
  fi
  [ -n "$FUZZ_DIR" ] && rm -rf "$FUZZ_DIR"
  exit "$status"
}

stop_namespace_processes() {
  local pids
  pids="$(ip netns pids "$NS" 2>/dev/null)"
  [ -z "$pids" ] && return 0
  lm_log "fuzz: stopping what still runs in the namespace (pids $(echo $pids))"
  kill -TERM $pids 2>/dev/null || true
  for _ in $(seq 1 60); do
    [ -z "$(ip netns pids "$NS" 2>/dev/null)" ] && break
    sleep 0.5
  done
  pids="$(ip netns pids "$NS" 2>/dev/null)"
  [ -n "$pids" ] && { kill -KILL $pids 2>/dev/null || true; sleep 1; }
  pids="$(ip netns pids "$NS" 2>/dev/null)"
  [ -z "$pids" ] || { lm_log "fuzz: processes of the namespace survived SIGKILL: $(echo $pids)"; return 1; }
}

api() { in_ns curl -sS -m 60 "$@"; }

# What the fuzz made on the engine: the instances' workloads (lm.cluster of this run's Temporal) and those the
# internal API deployed for a peer LM (PEER_UUID, pinned by the hooks).
leftovers() {
  local label
  for label in "lm.cluster=$CLUSTER_ID" "lm.service-instance=$PEER_UUID"; do
    docker ps -aq --filter "label=$label"
    docker service ls -q --filter "label=$label" 2>/dev/null
  done
}

# The LM terminates what it made (DELETE …/all, again for instances made meanwhile); what is left after 120 s,
# or when the LM is gone, is removed here, with the compose and stack networks, and named in the log. It does
# not fail the run yet: a compose peer workload's terminate through the internal API can answer 502 here.
terminate_everything() {
  lm_log "fuzz: terminating every instance the fuzz made (DELETE …/all)"
  api -o /dev/null -X DELETE "http://127.0.0.1:$API_PORT/api/v2/lm/service-instances/all?wait=true" || true
  # The peer workloads are no instance of this LM: the internal API terminates them.
  local type
  for type in docker docker-compose docker-swarm docker-compose-swarm; do
    api -o /dev/null -X PUT -H 'Content-Type: application/json' "http://127.0.0.1:$API_PORT/api/v2/lm/service-instance-int" \
      -d "{\"operation\":\"terminate\",\"agent\":{\"url\":\"$AGENT_IP\"},\"service_instance\":{\"id\":\"$PEER_UUID\"},\"service\":{\"name\":\"fuzz\",\"exec\":\"$(service_exec "$type")\",\"exec_type\":\"$type\"}}" || true
  done
  local i left=""
  for i in $(seq 1 120); do
    left="$(leftovers)"
    [ -z "$left" ] && break
    # Instances made while the first DELETE …/all ran (or whose terminate was incomplete) get another.
    (( i % 10 == 0 )) && api -o /dev/null -X DELETE "http://127.0.0.1:$API_PORT/api/v2/lm/service-instances/all" || true
    sleep 1
  done
  [ -z "$left" ] && { lm_log "fuzz: nothing the fuzz made is left on the engine"; return 0; }
  lm_log "fuzz: WARNING: workloads of the fuzz are still there after 120 s, removing them:"
  { docker container inspect -f '{{.Name}} {{json .Config.Labels}}' $left; docker service inspect -f '{{.Spec.Name}} {{json .Spec.Labels}}' $left; } 2>/dev/null | sed 's/^/  /' >&2 || true
  local projects
  projects="$({ docker container inspect -f '{{index .Config.Labels "lm.service-instance"}}' $left; docker service inspect -f '{{index .Spec.Labels "lm.service-instance"}}' $left; } 2>/dev/null | sort -u)"
  docker service rm $left >/dev/null 2>&1 || true
  docker rm -f $left >/dev/null 2>&1 || true
  for i in $projects; do
    { docker network ls -q --filter "label=com.docker.compose.project=lm-$i"; docker network ls -q --filter "label=com.docker.stack.namespace=lm-$i"; } \
      | xargs -r docker network rm >/dev/null 2>&1 || true
  done
}

# The kernel's count of packets sent in the namespace that had no route: any attempt to reach beyond `lo`.
no_route_count() {
  in_ns awk '$1 == "Ip:" && !n { for (i = 1; i <= NF; i++) col[$i] = i; n = 1; next } $1 == "Ip:" { v4 = $col["OutNoRoutes"] }
             END { print v4 }' /proc/net/snmp
}
no_route6_count() { in_ns awk '$1 == "Ip6OutNoRoutes" { print $2 }' /proc/net/snmp6 2>/dev/null || echo 0; }

wait_until() {
  local what="$1" log="$2" pid="$3"; shift 3
  local i
  for i in $(seq 1 120); do
    "$@" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$log" >&2; lm_die "fuzz: $what exited"; }
    sleep 0.5
  done
  tail -n 20 "$log" >&2
  lm_die "fuzz: $what did not come up"
}

FUZZ_DIR="$(mktemp -d /tmp/lm-fuzz-XXXXXX)"
mkdir -p "$FUZZ_DIR"/{home,data,compose-files,working-dir}
# The logs of the last fuzz stay, for a failure to be read.
LOGS="$LM_DATA_DIR/logs/fuzz"
rm -rf "$LOGS" && mkdir -p "$LOGS"
ip netns add "$NS" || lm_die "could not make the network namespace $NS (ip netns add)"
NS_MADE=1
in_ns ip link set lo up

image_id="$(docker image inspect -f '{{.Id}}' "$LM_EXAMPLE_IMAGE")"
service_exec() { case "$1" in *compose*) echo "http://127.0.0.1:$FILES_PORT/web.yml" ;; *) echo "$image_id" ;; esac; }
cat >"$FUZZ_DIR/compose-files/web.yml" <<EOF
services:
  web:
    image: $image_id
EOF

in_ns "$TEMPORAL_CLI_PATH" server start-dev --ip 127.0.0.1 --port "$TEMPORAL_PORT" --headless --log-level error \
  >>"$LOGS/temporal.log" 2>&1 &
LM_STARTED_PIDS+=("$!")
wait_until "the Temporal dev server" "$LOGS/temporal.log" "$!" \
  in_ns "$TEMPORAL_CLI_PATH" operator cluster health --address "127.0.0.1:$TEMPORAL_PORT"

in_ns python3 -m http.server "$FILES_PORT" --bind 127.0.0.1 --directory "$FUZZ_DIR/compose-files" \
  >>"$LOGS/files.log" 2>&1 &
LM_STARTED_PIDS+=("$!")

# What the LM may reach is pinned here: compose files from the loopback file server only, no kubeconfig (the
# Kubernetes runtime then tries K8S_PROXY on loopback), no peer.
lm_env=(env -u KUBECONFIG HOME="$FUZZ_DIR/home" LM_DATA_DIR="$FUZZ_DIR/data" STANDALONE_MODE=True HOST_IP="$AGENT_IP"
  TEMPORAL_ADDRESS="127.0.0.1:$TEMPORAL_PORT" LM_TEMPORAL_UI_URL="http://127.0.0.1:8233"
  WORKING_DIR_VOLUME="$FUZZ_DIR/working-dir" LM_COMPOSE_URL_ALLOW=127.0.0.1 LM_PEER_AGENTS=
  LM_METRICS_ADDRESS= LM_WAIT_TIMEOUT_S=1 LM_AGENT_TIMEOUT_S=10 LM_PULL_TIMEOUT_S=10 LM_LOG_LEVEL=info)
in_ns "${lm_env[@]}" node "$LM_ROOT/dist/worker/main.js" >>"$LOGS/worker.log" 2>&1 &
LM_STARTED_PIDS+=("$!")
wait_until "the LM worker" "$LOGS/worker.log" "$!" grep -q '"msg":"LM worker running"' "$LOGS/worker.log"
in_ns "${lm_env[@]}" LM_PORT="$API_PORT" node "$LM_ROOT/dist/api/main.js" >>"$LOGS/api.log" 2>&1 &
LM_STARTED_PIDS+=("$!")
wait_until "the LM API" "$LOGS/api.log" "$!" in_ns curl -sf "http://127.0.0.1:$API_PORT/api/v2"
in_ns "${lm_env[@]}" LM_PORT="$TOKEN_API_PORT" LM_API_TOKEN="$TOKEN" node "$LM_ROOT/dist/api/main.js" \
  >>"$LOGS/api-token.log" 2>&1 &
LM_STARTED_PIDS+=("$!")
wait_until "the LM API with a token" "$LOGS/api-token.log" "$!" \
  in_ns curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$TOKEN_API_PORT/api/v2"
CLUSTER_ID="$(in_ns "$TEMPORAL_CLI_PATH" operator cluster describe --address "127.0.0.1:$TEMPORAL_PORT" -o json \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["clusterId"])')"

no_routes_before=$(( $(no_route_count) + $(no_route6_count) ))

# One schemathesis run against the document served at port $1, into $LOGS/$2.log; the rest are its options.
fuzz_run() {
  local port="$1" name="$2"; shift 2
  in_ns env SCHEMATHESIS_HOOKS=pinned_addresses PYTHONPATH="${LM_FUZZ_HOOKS_DIR:-$LM_ROOT/test/fuzz}" \
    LM_FUZZ_SCHEMA="http://127.0.0.1:$port/api/v2/lm.json" LM_FUZZ_IMAGE="$image_id" \
    LM_FUZZ_COMPOSE_URL="$(service_exec docker-compose)" LM_FUZZ_AGENT_IP="$AGENT_IP" LM_FUZZ_PEER_UUID="$PEER_UUID" \
    "$LM_ROOT/.venv/bin/schemathesis" --config-file "$LM_ROOT/test/fuzz/schemathesis.toml" run "http://127.0.0.1:$port/api/v2/lm.json" \
    --url "http://127.0.0.1:$port" --checks all --max-examples "$EXAMPLES" --generation-deterministic --workers 1 \
    --request-timeout 30 --no-color --output-truncate true --warnings off "$@" >"$LOGS/$name.log" 2>&1
}

# Both at once: most of their time is spent waiting for the LM, Temporal and Docker. With the token, what
# differs is who may call what (401s, the security schemes, ignored_auth): examples and fuzzing show it.
lm_log "fuzz: schemathesis --checks all against the served OpenAPI document, without a token (phases: examples, coverage, fuzzing) and with LM_API_TOKEN (examples, fuzzing); $EXAMPLES examples per operation"
fuzz_run "$API_PORT" schemathesis-no-token --phases examples,coverage,fuzzing &
no_token=$!
fuzz_run "$TOKEN_API_PORT" schemathesis-token --phases examples,fuzzing -H "Authorization: Bearer $TOKEN" &
with_token=$!
failed=()
wait "$no_token" || failed+=("without a token")
wait "$with_token" || failed+=("with LM_API_TOKEN")
lm_log "fuzz, without a token:" && cat "$LOGS/schemathesis-no-token.log"
lm_log "fuzz, with LM_API_TOKEN:" && cat "$LOGS/schemathesis-token.log"

no_routes=$(( $(no_route_count) + $(no_route6_count) - no_routes_before ))
if [ "$no_routes" -ne 0 ]; then
  lm_log "fuzz: $no_routes packet(s) in the fuzz's namespace tried to leave loopback (IP OutNoRoutes): see $LOGS"
  failed+=("traffic beyond loopback")
else
  lm_log "fuzz: no packet tried to leave loopback (IP OutNoRoutes of the fuzz's namespace stayed at $no_routes_before)"
fi
[ ${#failed[@]} -eq 0 ] || lm_die "API fuzz failed: ${failed[*]}"
lm_log "API fuzz passed: no failure without a token nor with LM_API_TOKEN"
