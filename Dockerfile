# Promethium container image, laid out like prom/prometheus so it can be dropped in its place:
# same user (nobody, 65534:65534), port 9090, data volume /prometheus, default config
# /etc/prometheus/prometheus.yml, and the same default flags.
#
#   docker build -t promethium:latest .
#   docker run -p 9090:9090 promethium:latest
#
# Both stages use the same base image: Node.js 24, the LTS line CI tests on (package.json's
# engines allow 22 and newer). better-sqlite3 ships prebuilt Node-API binaries for linux x64 and
# arm64, so no compiler is needed.

# ---- build stage: install all dependencies, compile TypeScript, then drop dev dependencies ----
FROM node:24-bookworm-slim AS build

WORKDIR /app

# Lock file first, so the dependency layer is reused while only sources change (the `prepare`
# build finds no sources yet and does nothing; the build runs below).
COPY package.json package-lock.json ./
RUN npm ci

# Everything else the build needs; .dockerignore keeps the host's node_modules and dist out
# (a host-built native addon would not load in this image).
# The build context has no .git: the revision and branch come in as build arguments
# (docker build --build-arg REVISION=$(git rev-parse HEAD) --build-arg BRANCH=main .).
ARG REVISION=unknown
ARG BRANCH=unknown
COPY . .
RUN BUILD_REVISION="$REVISION" BUILD_BRANCH="$BRANCH" npm run build \
    && npm prune --omit=dev

# ---- runtime stage: only the compiled server, production dependencies and package.json ----
FROM node:24-bookworm-slim

ENV NODE_ENV=production

WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/ui ./dist/ui
COPY --from=build /app/dist/build-info.json ./dist/build-info.json

# Default configuration: Prometheus's standard self-scrape config.
COPY deploy/docker/prometheus.yml /etc/prometheus/prometheus.yml

# The data directory must be writable by nobody, as in prom/prometheus.
RUN mkdir -p /prometheus \
    && chown -R 65534:65534 /prometheus /etc/prometheus

USER 65534:65534
EXPOSE 9090
VOLUME ["/prometheus"]
WORKDIR /prometheus

# Node runs as PID 1: the server installs its own SIGTERM/SIGINT handlers, so `docker stop`
# shuts it down cleanly without an init process (use `docker run --init` to reap zombies if needed).
ENTRYPOINT ["node", "--max-semi-space-size=16", "--heap-growing-percent=50", "/app/dist/src/cli/promethium.js"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", \
     "--storage.tsdb.path=/prometheus"]
