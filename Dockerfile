# syntax=docker/dockerfile:1
# Build stage: compile TypeScript with the dev toolchain.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Runtime stage: production dependencies and compiled code only, as a non-root user.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# openssh-client is not needed (the executor speaks SSH itself); tini reaps and forwards SIGTERM
# so workers get their graceful-shutdown window.
RUN apt-get update && apt-get install -y --no-install-recommends tini ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY config/inventory.example.yaml ./config/inventory.example.yaml
COPY slack ./slack
RUN useradd --system --uid 10001 --home-dir /home/intervene --create-home intervene \
    && mkdir -p /home/intervene/.ssh && chown -R intervene:intervene /home/intervene
USER intervene
ENV PORT=3000 INVENTORY_FILE=/app/config/inventory.yaml \
    SSH_PRIVATE_KEY_FILE=/home/intervene/.ssh/id_ed25519 SSH_KNOWN_HOSTS_FILE=/home/intervene/.ssh/known_hosts
# 3000: Slack (POST /slack/events, GET /healthz); 9464: operations (/metrics, /readyz), publish it privately.
EXPOSE 3000 9464
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "require('http').get('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"
ENTRYPOINT ["/usr/bin/tini", "--"]
# The heap ceiling: src/runtime/heap-ceiling.ts says why.
CMD ["node", "--max-old-space-size=512", "dist/src/main.js"]
