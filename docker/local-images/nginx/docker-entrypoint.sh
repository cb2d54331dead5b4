#!/bin/sh
# The upstream image's entrypoint steps, for `nginx ...` commands: each /docker-entrypoint.d/
# file in order, *.envsh sourced (its exports reach the templates), *.sh run.
set -eu
if [ "$1" = nginx ]; then
    for file in /docker-entrypoint.d/*; do
        case "$file" in
            *.envsh) echo "$0: sourcing $file"; . "$file" ;;
            *.sh) echo "$0: running $file"; "$file" ;;
        esac
    done
fi
exec "$@"
