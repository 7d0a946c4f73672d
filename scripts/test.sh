#!/usr/bin/env bash
# Installs what is missing and runs every test: unit, workflow (real Temporal), integration and
# end-to-end (real Docker). Arguments go to jest (e.g. a path to run one suite).
set -euo pipefail
source "$(dirname "$0")/lib/provision.sh"
trap lm_cleanup EXIT
trap 'exit 130' INT TERM

lm_ensure_packages busybox-static ca-certificates curl
lm_ensure_docker
lm_ensure_temporal_cli
lm_ensure_build
cd "$LM_ROOT"
npx jest --runInBand "$@"
