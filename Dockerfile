# newsbot in a container: `docker compose up` (see docker-compose.yml and the README,
# "Running several instances"). Configuration comes from NEWSBOT_* variables.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /srv/newsbot
COPY pyproject.toml README.md ./
COPY newsbot ./newsbot
COPY templates ./templates
# templates/ is package data (newsbot/templates links to it), so the install carries it.
RUN pip install . \
    && useradd --system --home-dir /srv/newsbot newsbot
# The shipped seed pages: a named volume mounted here starts with them.
COPY --chown=newsbot seeds ./seeds

USER newsbot
# /metrics and /healthz, when NEWSBOT_OPS_PORT is set (docker-compose.yml sets 9100).
EXPOSE 9100
CMD ["newsbot", "run"]
