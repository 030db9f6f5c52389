#!/bin/sh
# Entrypoint of the Quad Dialogue image.
#
# `serve` (the image's default command, extra arguments are passed on to `quad serve`): apply the database
# migrations, then exec the server so that it replaces this shell as PID 1 and receives SIGTERM from
# `docker stop` itself. Its workers come from WEB_CONCURRENCY (default 4).
# With QUAD_MIGRATE_ON_START=0 the migrations are skipped: for extra replicas, when one instance or a
# one-off `docker compose run --rm app quad db upgrade` migrates.
#
# Any other command runs as given, e.g. `quad users create --email E --name N --role admin`.
set -eu

if [ "$#" -eq 0 ] || [ "$1" = "serve" ]; then
    [ "$#" -eq 0 ] || shift
    if [ "${QUAD_MIGRATE_ON_START:-1}" != "0" ]; then
        quad db upgrade
    fi
    exec quad serve --host 0.0.0.0 --port "${PORT:-8000}" --workers "${WEB_CONCURRENCY:-4}" "$@"
fi

exec "$@"
