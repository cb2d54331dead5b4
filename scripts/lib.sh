# Shared steps of scripts/up, scripts/test and scripts/bench. Source it; it defines functions only.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
SERVICES=(user campaign pledge payment)
export DATABASE_URL="${DATABASE_URL:-mysql://root@127.0.0.1:3306}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
export DATABASE_PREFIX="${DATABASE_PREFIX:-careforall_}"
export CAREFORALL_KEYS_DIR="${CAREFORALL_KEYS_DIR:-$ROOT/.keys}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }

apt_install() {  # apt_install PACKAGE... (Debian, as root only)
    is_root && command -v apt-get >/dev/null || return 1
    if [ ! -f "$ROOT/var/.apt-updated" ]; then
        apt-get update -qq >/dev/null && mkdir -p "$ROOT/var" && touch "$ROOT/var/.apt-updated"
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_system_packages() {  # ensure_system_packages [--tests]
    local missing=()
    # tests/browser drives Debian's Chromium; a test tool's own browser download is never used.
    if [ "${1:-}" = --tests ]; then
        [ -x "${CAREFORALL_CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)
        # tests/deploy checks the alert rules with Prometheus's promtool.
        command -v promtool >/dev/null || missing+=(prometheus)
    fi
    command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
    command -v memcached >/dev/null || [ -x /usr/bin/memcached ] || missing+=(memcached)
    command -v pkg-config >/dev/null || missing+=(pkg-config)
    { [ -f /usr/include/mariadb/mysql.h ] || [ -f /usr/include/mysql/mysql.h ]; } \
        || missing+=(libmariadb-dev)
    [ ${#missing[@]} = 0 ] && return 0
    say "installing ${missing[*]}"
    apt_install "${missing[@]}" || die "missing ${missing[*]}: install them (Debian: apt-get install -y ${missing[*]})"
}

ensure_venv() {
    command -v python3 >/dev/null || die "python3 (3.11+) is required"
    python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "Python 3.11+ is required"
    local stamp="$VENV/.installed"
    local want
    want="$(cat "$ROOT/requirements/"*.txt "$ROOT/common/pyproject.toml" | sha256sum | cut -c1-16)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
    say "installing Python packages into $VENV"
    [ -x "$PY" ] || python3 -m venv "$VENV"
    "$PY" -m pip install -q --disable-pip-version-check --upgrade pip 2>&1 | grep -v WARNING || true
    "$PY" -m pip install -q --disable-pip-version-check -r "$ROOT/requirements/dev.txt" \
        -e "$ROOT/common" 2>&1 | grep -v '^WARNING: Location' || true
    "$PY" -c 'import django, MySQLdb, celery, rest_framework_simplejwt' \
        || die "the Python packages did not install (see above)"
    echo "$want" > "$stamp"
}

ensure_node() {  # Vite 8 needs Node 20.19 or newer
    command -v node >/dev/null || die "Node.js 20.19+ is required (Debian: apt-get install -y nodejs npm)"
    node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' \
        || die "Node.js 20.19+ is required; this is $(node --version)"
}

ensure_frontend_packages() {  # npm ci when package-lock.json changed since the last install
    local stamp="$ROOT/frontend/node_modules/.installed" want
    want="$(sha256sum "$ROOT/frontend/package-lock.json" | cut -c1-16)"
    [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
    (cd "$ROOT/frontend" && npm ci --no-audit --no-fund --silent) || die "npm ci failed in frontend/"
    echo "$want" > "$stamp"
}

# The JWT pair and each service's internal signing pair (internal-<service>.pem/.pub); kept once made.
ensure_keys() { "$PY" -m careforall_common.keys "$CAREFORALL_KEYS_DIR" >/dev/null; }

database_answers() {
    "$PY" -c '
import os, sys, environ, MySQLdb
c = environ.Env.db_url_config(os.environ["DATABASE_URL"])
try:
    MySQLdb.connect(host=c["HOST"] or "127.0.0.1", port=int(c["PORT"] or 3306), user=c["USER"],
                    password=c["PASSWORD"] or "", connect_timeout=2).close()
except MySQLdb.Error as error:
    sys.exit(f"database: {error}")'
}

check_database() {
    database_answers && return 0
    if is_root && [ -x /usr/sbin/mariadbd ]; then
        say "MariaDB is not answering; starting the local one"
        start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
        for _ in $(seq 30); do sleep 1; database_answers 2>/dev/null && return 0; done
    fi
    die "MySQL/MariaDB is not reachable at DATABASE_URL=$DATABASE_URL.
  Start one (Debian: apt-get install -y mariadb-server && service mariadb start),
  or point DATABASE_URL at yours: mysql://USER:PASSWORD@HOST:PORT"
}

check_redis() {
    local probe='import os, redis; redis.Redis.from_url(os.environ["REDIS_URL"], socket_connect_timeout=2).ping()'
    "$PY" -c "$probe" 2>/dev/null && return 0
    if is_root && command -v redis-server >/dev/null; then
        say "Redis is not answering; starting the local one"
        redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
        for _ in $(seq 10); do sleep 1; "$PY" -c "$probe" 2>/dev/null && return 0; done
    fi
    die "Redis is not reachable at REDIS_URL=$REDIS_URL.
  Start one (Debian: apt-get install -y redis-server && service redis-server start),
  or point REDIS_URL at yours: redis://HOST:PORT/DB"
}

create_databases() {  # create_databases [--drop]
    "$PY" - "$@" <<'PY'
import os, sys
import environ, MySQLdb
c = environ.Env.db_url_config(os.environ["DATABASE_URL"])
conn = MySQLdb.connect(host=c["HOST"] or "127.0.0.1", port=int(c["PORT"] or 3306), user=c["USER"],
                       password=c["PASSWORD"] or "")
cursor = conn.cursor()
for service in ("user", "campaign", "pledge", "payment"):
    name = os.environ["DATABASE_PREFIX"] + service
    if "--drop" in sys.argv:
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
    cursor.execute(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
conn.close()
PY
}

manage() {  # manage SERVICE ARGS...
    local service="$1"; shift
    (cd "$ROOT/${service}_service" && "$PY" manage.py "$@")
}

# --- What a run leaves behind ----------------------------------------------------------------
# scripts/up records each process it starts in $VAR/run/processes, one "NAME PID IDENTITY" a line.
# The identity (the boot and the process's start time) tells a live process of that run from a
# process that got its pid later: after a crash, or after a reboot, pids are reused.

process_identity() {  # process_identity PID: prints "<boot id>:<start time>"; fails when gone
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"  # the fields after the command name, which may hold spaces
    # shellcheck disable=SC2086
    set -- $stat
    case "$1" in Z | X) return 1 ;; esac  # a zombie has finished already
    printf '%s:%s\n' "$(cat /proc/sys/kernel/random/boot_id)" "${20}"
}

record_process() {  # record_process LEDGER NAME PID
    echo "$2 $3 $(process_identity "$3" || echo gone)" >>"$1"
}

recorded_alive() {  # recorded_alive LEDGER: prints "NAME PID" of each recorded process still alive
    [ -f "$1" ] || return 0
    local name pid identity
    while read -r name pid identity; do
        [ "$(process_identity "$pid" 2>/dev/null)" = "$identity" ] && echo "$name $pid"
    done <"$1"
    return 0
}

pid_of_this_platform() {  # pid_of_this_platform PID VAR: a live process started for VAR
    [ -n "$1" ] && process_identity "$1" >/dev/null 2>&1 || return 1
    # Every process scripts/up starts inherits CAREFORALL_VAR; another program with a reused
    # pid does not have it (an unreadable environment counts as someone else's).
    tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null | grep -qxF "CAREFORALL_VAR=$2"
}

socket_answers() {  # socket_answers PATH: whether a live process accepts connections on it
    python3 - "$1" <<'PY'
import socket, sys
sock = socket.socket(socket.AF_UNIX)
sock.settimeout(2)
try:
    sock.connect(sys.argv[1])
except (ConnectionRefusedError, FileNotFoundError):
    sys.exit(1)  # nobody listens: the file of a process that is gone
except OSError:
    sys.exit(0)  # busy, or not ours to ask: someone may own it
PY
}

stop_processes() {  # stop_processes PID...: TERM, 15 s to finish, then KILL
    kill -TERM "$@" 2>/dev/null || true
    local pid alive
    for _ in $(seq 150); do
        alive=0
        for pid in "$@"; do process_identity "$pid" >/dev/null 2>&1 && alive=1; done
        [ "$alive" = 0 ] && return 0
        sleep 0.1
    done
    kill -KILL "$@" 2>/dev/null || true
}

clean_run_dir() {  # clean_run_dir VAR: remove what an earlier run left, once nothing owns it
    local var="$1" run="$1/run" file pid unclean=0
    [ -f "$run/processes" ] || [ -f "$run/up.pid" ] && unclean=1
    # Sockets (nginx's status socket, gunicorn's control sockets): a socket file outlives its
    # process, and binding it again fails with "Address already in use".
    for file in "$run"/*.sock "$run"/*.ctl; do
        [ -e "$file" ] || continue
        socket_answers "$file" && die "$file is in use by a running process; stop it first"
        rm -f "$file"
    done
    # Pid files, nginx's own included.
    for file in "$run"/*.pid; do
        [ -e "$file" ] || continue
        pid="$(tr -dc '0-9' <"$file")"
        pid_of_this_platform "$pid" "$var" \
            && die "process $pid ($(basename "$file" .pid)) of an earlier run is still running; stop it first"
        rm -f "$file"
    done
    rm -f "$run/processes"
    [ "$unclean" = 1 ] || return 0
    say "cleaning up after an earlier run that did not stop cleanly"
    # Celery beat's schedules (dbm files, not safe against a kill mid-write): only the times the
    # periodic tasks last ran, which a new schedule starts again from now.
    rm -f "$run"/beat-*
    # nginx's temporary files of requests that were in flight.
    rm -rf "$var"/nginx/{body,proxy,fastcgi,uwsgi,scgi}/*
}

# The services' WSGI server (docs/benchmarks.md, "The server model"): WEB_SERVER is gthread
# (gunicorn, WEB_WORKERS × WEB_THREADS), sync (gunicorn, WEB_WORKERS, one request each) or
# granian (WEB_WORKERS × WEB_THREADS blocking threads, WSGI). Sets the three; say what it runs.
web_server_settings() {
    WEB_SERVER="${WEB_SERVER:-gthread}"
    case "$WEB_SERVER" in
        gthread | granian) WEB_WORKERS="${WEB_WORKERS:-2}" WEB_THREADS="${WEB_THREADS:-4}" ;;
        sync) WEB_WORKERS="${WEB_WORKERS:-4}" WEB_THREADS=1 ;;
        *) die "WEB_SERVER must be gthread, sync or granian, not $WEB_SERVER" ;;
    esac
}
web_server_text() {
    web_server_settings
    case "$WEB_SERVER" in
        granian) echo "granian (WSGI) $WEB_WORKERS workers × $WEB_THREADS threads" ;;
        sync) echo "gunicorn $WEB_WORKERS sync workers" ;;
        *) echo "gunicorn $WEB_WORKERS workers × $WEB_THREADS threads (gthread)" ;;
    esac
}
