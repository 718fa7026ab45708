# One image: the homeserver and the built web client it serves at /.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY homeserver/package.json homeserver/
COPY client/package.json client/
RUN npm ci --no-audit --no-fund
COPY homeserver homeserver
COPY client client
RUN npm run build --workspace homeserver && npm run build --workspace client && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HS_BIND=0.0.0.0 HS_DATA_DIR=/data
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/package.json ./
COPY --from=build /app/homeserver/package.json homeserver/
COPY --from=build /app/homeserver/dist homeserver/dist
COPY --from=build /app/client/dist client/dist
COPY deploy/homeserver.example.yaml /etc/hearth/homeserver.yaml
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
# 8008: client API and web client; 8448: federation (HTTPS, needs a certificate in the config).
EXPOSE 8008 8448
STOPSIGNAL SIGTERM
# The same young-generation size as `npm start` (README: most of what the server allocates dies young).
CMD ["node", "--max-semi-space-size=32", "homeserver/dist/main.js", "--config", "/etc/hearth/homeserver.yaml"]
