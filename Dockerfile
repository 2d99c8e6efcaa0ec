# Lotse: the Telegram bot of a Kommunales Integrationszentrum.
#   docker build -t lotse .
#   docker run -d --name lotse -e TELEGRAM_BOT_TOKEN=... -v lotse-data:/data lotse
# The web chat and the staff desk instead (behind an https reverse proxy on port 8000):
#   docker run -d --name lotse-web -p 127.0.0.1:8000:8000 -v lotse-data:/data lotse \
#     lotse web --behind-proxy
#   docker exec -it lotse-web lotse staff add anna
# Knowledge and translations are bundled; mount your own over /app/knowledge and
# /app/translations (read-only is fine). The database lives on the /data volume.

# --- build: a virtual environment with Lotse and its dependencies --------------------
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN /venv/bin/pip install .

# --- run: the environment, the knowledge and the translations, as a non-root user -----
FROM python:3.11-slim
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    LOTSE_DB=/data/lotse.db \
    LOTSE_KNOWLEDGE=/app/knowledge \
    LOTSE_TRANSLATIONS=/app/translations \
    LOTSE_TELEGRAM_WEBHOOK_LISTEN=0.0.0.0 \
    LOTSE_TELEGRAM_WEBHOOK_PORT=8080 \
    LOTSE_WEB_HOST=0.0.0.0 \
    LOTSE_WEB_PORT=8000
RUN groupadd --system lotse && useradd --system --gid lotse --home-dir /app lotse \
    && mkdir /data && chown lotse:lotse /data
COPY --from=build /venv /venv
WORKDIR /app
COPY knowledge ./knowledge
COPY translations ./translations
USER lotse
VOLUME ["/data"]
# 8080: only `lotse run --webhook`; 8000: `lotse web`. Both behind a proxy with TLS.
EXPOSE 8080 8000
CMD ["lotse", "run"]
