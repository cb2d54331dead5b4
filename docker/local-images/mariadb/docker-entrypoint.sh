#!/bin/sh
# On a new data directory: the system tables, root@'%' with MARIADB_ROOT_PASSWORD (or the file
# MARIADB_ROOT_PASSWORD_FILE names), then /docker-entrypoint-initdb.d/*.sql, all on a server
# that listens on a socket of its own (healthcheck.sh cannot see it); then the real server.
set -eu
if [ -n "${MARIADB_ROOT_PASSWORD_FILE:-}" ]; then
    MARIADB_ROOT_PASSWORD=$(cat "$MARIADB_ROOT_PASSWORD_FILE")
fi
chown -R mysql:mysql /var/lib/mysql /run/mysqld
if [ ! -d /var/lib/mysql/mysql ]; then
    [ -n "${MARIADB_ROOT_PASSWORD:-}" ] || { echo "MARIADB_ROOT_PASSWORD(_FILE) is not set" >&2; exit 1; }
    mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db >/dev/null
    init_socket=/run/mysqld/init.sock
    mariadbd --user=mysql --skip-networking --socket="$init_socket" &
    pid=$!
    for _ in $(seq 60); do
        mariadb-admin --socket="$init_socket" ping >/dev/null 2>&1 && break
        sleep 1
    done
    password=$(printf '%s' "$MARIADB_ROOT_PASSWORD" | sed "s/'/''/g; s/\\\\/\\\\\\\\/g")
    mariadb --socket="$init_socket" <<SQL
CREATE USER 'root'@'%' IDENTIFIED BY '$password';
GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
    for file in /docker-entrypoint-initdb.d/*.sql; do
        [ -e "$file" ] || continue
        echo "running $file"
        mariadb --socket="$init_socket" < "$file"
    done
    kill "$pid"
    wait "$pid" || true
fi
if [ "$1" = mariadbd ]; then
    shift
    exec mariadbd --user=mysql --bind-address=0.0.0.0 --skip-name-resolve "$@"
fi
exec "$@"
