#!/usr/bin/env bash
# Builds the LM's container image (LM_IMAGE, default lifecycle-manager:local) offline: the base from this machine's
# Node.js, then the Dockerfile on it. Run it with: docker run --network host -v /var/run/docker.sock:/var/run/docker.sock
#   -e TEMPORAL_ADDRESS=127.0.0.1:7233 lifecycle-manager:local     (or docker-compose.lm.yml; see README)
set -euo pipefail
source "$(dirname "$0")/lib/provision.sh"
[ $# -eq 0 ] || lm_die "usage: scripts/build-image.sh   (LM_IMAGE=name:tag to choose the tag; got: $*)"
lm_ensure_docker
lm_build_image
