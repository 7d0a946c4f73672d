# The Lifecycle Manager as one container: its worker and REST API (dist/worker/container-main.js), pointed at a
# Temporal by TEMPORAL_ADDRESS, acting on the Docker engine whose socket it is given. Build it with
# scripts/build-image.sh, which makes the base offline from this machine's Node.js and stages the build context
# (the built dist/ and the production node_modules only). See README, "The LM as a container".
ARG BASE=lm-node-base:local
FROM ${BASE}
WORKDIR /opt/lm
COPY package.json package-lock.json ./
COPY node_modules ./node_modules
COPY dist ./dist
# The read model's SQLite file lives in LM_DATA_DIR: a volume keeps it (it can be rebuilt from Temporal anyway).
ENV NODE_ENV=production \
    LM_DATA_DIR=/var/lib/lm \
    LM_PORT=46000 \
    DOCKER_SOCKET=unix:///var/run/docker.sock
EXPOSE 46000
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/worker/container-main.js"]
