# Build a static Ringdesk binary, then ship it alone on a minimal image.

# The browser calling SDKs, from npm, into public/vendor.
FROM node:20-bookworm-slim AS vendor
WORKDIR /src
COPY package.json package-lock.json ./
COPY scripts ./scripts
RUN mkdir -p public/vendor && bash scripts/vendor.sh

# go.mod asks for Go 1.26.8 or later; this tag is the newest 1.26 release
# (`docker compose build --pull` fetches it again).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=vendor /src/public/vendor ./public/vendor
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/ringdesk . \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ringdesk /ringdesk
# DATA_DIR holds the session key (when SESSION_SECRET is unset) and, without
# MONGODB_URI, the embedded store's files.
COPY --from=build --chown=nonroot:nonroot /out/data /data
ENV PORT=3000 DATA_DIR=/data
VOLUME /data
EXPOSE 3000
USER nonroot
# No shell or curl here: the binary asks its own /readyz (database ping)
# on 127.0.0.1:$PORT, and fails after 3 s without an answer.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["/ringdesk", "healthcheck"]
ENTRYPOINT ["/ringdesk"]
