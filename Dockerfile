# syntax=docker/dockerfile:1
# Quad Dialogue production image: a builder stage makes the wheel and the dependency venv, a slim runtime
# stage runs as a non-root user, applies migrations at start and serves with several workers.
#
#   docker build -t quad-dialogue .
#   docker compose up -d            (see compose.yaml for the variables it needs)
#
# No secret is baked in: SECRET_KEY, DATABASE_URL and the identity-providers file come at run time.

############################################################################################################
FROM python:3.11-slim-bookworm AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src

# Dependencies first, in their own layer: a code change does not reinstall them, a lock change does. The image
# gets exactly the versions (and hashes) the test suite passed with: requirements.lock, updated by `make lock`.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock

# Build the project's wheel, then install it (not editable, without touching the dependencies) into /app.
COPY . .
RUN pip wheel --no-deps --wheel-dir /dist . \
    && pip install --no-deps --no-index --target /app /dist/*.whl

############################################################################################################
# The same base as the builder: /opt/venv/bin/python is a link to this image's /usr/local/bin/python3.11.
FROM python:3.11-slim-bookworm AS runtime

# Where the code lives, and why templates are found (app/config.py: PROJECT_ROOT = parent of the app package):
#   /opt/venv   the third-party dependencies (from the builder)
#   /app/app    the installed package, from the wheel (`pip install --target /app`), with its dist-info
#   /app/bin    the `quad` console script from the same wheel (its shebang is /opt/venv/bin/python)
#   /app/templates, /app/static, /app/migrations, /app/alembic.ini   copied beside the package below
# A normal `pip install` would put the package in site-packages, where PROJECT_ROOT / "templates" does not
# exist. With the package at /app/app and PYTHONPATH=/app, PROJECT_ROOT is /app for the server and for
# `quad`, whatever the working directory. The code is owned by root and read-only to the app user.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    PATH=/opt/venv/bin:/app/bin:$PATH \
    QUAD_ENV=prod \
    QUAD_DATA_DIR=/app/var \
    MALLOC_ARENA_MAX=2 \
    PORT=8000

RUN groupadd --system --gid 10001 quad \
    && useradd --system --uid 10001 --gid quad --home-dir /app --no-create-home --shell /usr/sbin/nologin quad

COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app
COPY alembic.ini /app/alembic.ini
COPY migrations /app/migrations
COPY templates /app/templates
COPY static /app/static
COPY --chmod=0755 docker/entrypoint.sh /usr/local/bin/quad-entrypoint

# The data folder is the only place the app writes; a new named volume takes this ownership.
RUN python -m compileall -q /app/migrations \
    && mkdir -p /app/var \
    && chown quad:quad /app/var \
    && chmod 0700 /app/var

WORKDIR /app
USER 10001:10001
VOLUME ["/app/var"]
EXPOSE 8000

# Liveness, with the standard library (slim images have no curl); urlopen raises on any non-2xx answer.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)" || exit 1

# `serve` (the default): `quad db upgrade`, then exec `quad serve --workers ${WEB_CONCURRENCY:-4}` on 0.0.0.0.
# Anything else runs as given, e.g. `docker compose run --rm app quad users create ...`.
ENTRYPOINT ["/usr/local/bin/quad-entrypoint"]
CMD ["serve"]
