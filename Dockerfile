# digestbot container image: `docker compose up -d` (see compose.yaml and the README's
# "Deployment" section). Two stages: the build stage installs the package into a venv, the
# runtime stage copies only that venv (no pip cache, no build files) and runs as a non-root user.
# .ci/check-container repeats these steps without a container engine (fresh venv, same user
# and environment) and lints this file with hadolint.

# The official slim image; a mirror or a pinned digest can be given with --build-arg.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
COPY handlers ./handlers
RUN python -m venv /opt/digestbot \
    && /opt/digestbot/bin/pip install --no-cache-dir .

FROM ${PYTHON_IMAGE}
COPY --from=build /opt/digestbot /opt/digestbot
# A fixed uid/gid, so host folders mounted at /data and /content can be given to it
# (chown 10001:10001); the bot never needs root.
RUN groupadd --gid 10001 digestbot \
    && useradd --uid 10001 --gid digestbot --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin digestbot \
    && mkdir -p /data /content \
    && chown digestbot:digestbot /data /content
ENV PATH=/opt/digestbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CONTENT_DIR=/content \
    DATABASE_PATH=/data/digestbot.sqlite3 \
    HEALTH_LISTEN=0.0.0.0:8080
# Settings come from the environment (compose's env_file: .env); an empty working directory
# means no stray .env file is read.
WORKDIR /app
USER 10001:10001
# /data: the SQLite index, subscriptions and delivery journal (keep it: it is what makes a
# restart resume a push instead of repeating it). /content: the digest files.
VOLUME ["/data", "/content"]
# 8080: /healthz and /metrics (HEALTH_LISTEN); 8443: the webhook (WEBHOOK_LISTEN), if used.
EXPOSE 8080 8443
# `python -m bot.healthcheck` is `digestbot healthcheck` minus the bot's imports: fast even on a
# busy host. It reads HEALTH_LISTEN and exits 0 only on /healthz 200.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot.healthcheck"]
# `docker stop` sends SIGTERM: the bot finishes the part in flight, records it and exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["digestbot"]
CMD ["run"]
