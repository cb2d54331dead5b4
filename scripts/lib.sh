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
