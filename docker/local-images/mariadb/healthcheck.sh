#!/bin/sh
# The checks compose's healthcheck asks for (--connect, --innodb_initialized), as root over the
# server's own socket (unix_socket authentication): never the initialising server's socket.
set -eu
for check in "$@"; do
    case "$check" in
        --connect) mariadb-admin ping >/dev/null 2>&1 || exit 1 ;;
        --innodb_initialized)
            [ "$(mariadb -N -e "SELECT 1 FROM information_schema.ENGINES WHERE engine = 'InnoDB' AND support IN ('YES', 'DEFAULT')" 2>/dev/null)" = 1 ] || exit 1 ;;
        *) echo "unknown check $check" >&2; exit 1 ;;
    esac
done
