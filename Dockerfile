# One image: the homeserver (and, once it exists, the built web client).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY homeserver/package.json homeserver/
RUN npm ci --no-audit --no-fund
COPY homeserver homeserver
RUN npm run build --workspace homeserver && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HS_BIND=0.0.0.0 HS_DATA_DIR=/data
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/package.json ./
COPY --from=build /app/homeserver/package.json homeserver/
COPY --from=build /app/homeserver/dist homeserver/dist
COPY deploy/homeserver.example.yaml /etc/hearth/homeserver.yaml
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 8008
STOPSIGNAL SIGTERM
CMD ["node", "homeserver/dist/main.js", "--config", "/etc/hearth/homeserver.yaml"]
