"""One database user per service, with rights on that service's database only (SPEC §1, §7).

``python -m careforall_common.database_users`` is the init job of compose and Kubernetes: it
connects as an administrator and, for each service, makes the database ``<prefix><service>``,
makes (or re-passwords) the user of the service's ``DATABASE_URL`` and grants it everything on
that database and nothing else. It can run on every start: each statement is idempotent.

Environment (a ``NAME_FILE`` variable names a file holding NAME's value, as in the settings):

- ``DATABASE_ADMIN_URL``: ``mysql://root:<password>@mysql:3306``, or ``DATABASE_ADMIN_PASSWORD``
  with ``DATABASE_ADMIN_USER`` (root), ``DATABASE_HOST`` (mysql) and ``DATABASE_PORT`` (3306);
- ``<SERVICE>_DATABASE_URL`` for each service (``USER_DATABASE_URL``, ...): the URL that service
  connects with; a service without one is skipped;
- ``DATABASE_PREFIX`` (``careforall_``).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

import environ

SERVICES = ("user", "campaign", "pledge", "payment")
IDENTIFIER = re.compile(r"^[A-Za-z0-9_]{1,64}$")


@dataclass(frozen=True)
class Account:
    service: str
    database: str
    user: str
    password: str


def accounts(env: Mapping[str, str], *, prefix: str) -> list[Account]:
    """Return the account each service's ``<SERVICE>_DATABASE_URL`` names; refuse a bad one."""
    found = []
    for service in SERVICES:
        url = env.get(f"{service.upper()}_DATABASE_URL", "").strip()
        if not url:
            continue
        config = environ.Env.db_url_config(url)
        user, password = str(config.get("USER") or ""), str(config.get("PASSWORD") or "")
        database = f"{prefix}{service}"
        if not IDENTIFIER.match(user) or user == "root":
            raise SystemExit(
                f"{service.upper()}_DATABASE_URL: the user must be a plain name, not {user!r}"
            )
        if not password:
            raise SystemExit(f"{service.upper()}_DATABASE_URL has no password")
        if not IDENTIFIER.match(database):
            raise SystemExit(f"database name {database!r} is not a plain name")
        found.append(Account(service, database, user, password))
    return found


def admin_url(env: Mapping[str, str]) -> str:
    """Return the administrator's connection URL from the environment."""
    url = env.get("DATABASE_ADMIN_URL", "").strip()
    if url:
        return url
    password = env.get("DATABASE_ADMIN_PASSWORD", "").strip()
    if not password:
        raise SystemExit("set DATABASE_ADMIN_URL or DATABASE_ADMIN_PASSWORD (or their _FILE)")
    user = env.get("DATABASE_ADMIN_USER", "root")
    host, port = env.get("DATABASE_HOST", "mysql"), env.get("DATABASE_PORT", "3306")
    return f"mysql://{quote(user, safe='')}:{quote(password, safe='')}@{host}:{port}"


def statements(account: Account) -> list[tuple[str, tuple[str, ...]]]:
    """Return the SQL (with parameters) that gives ``account`` its database and nothing more."""
    grant_on = f"`{account.database}`.*"
    return [
        (
            f"CREATE DATABASE IF NOT EXISTS `{account.database}`"
            " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
            (),
        ),
        ("CREATE USER IF NOT EXISTS %s@'%%' IDENTIFIED BY %s", (account.user, account.password)),
        # A changed password in the secret takes effect on the next run.
        ("ALTER USER %s@'%%' IDENTIFIED BY %s", (account.user, account.password)),
        (f"GRANT ALL PRIVILEGES ON {grant_on} TO %s@'%%'", (account.user,)),
    ]


def apply(url: str, wanted: list[Account]) -> None:
    """Run the statements of every account over one administrator connection."""
    import MySQLdb

    config = environ.Env.db_url_config(url)
    connection = MySQLdb.connect(
        host=config.get("HOST") or "127.0.0.1",
        port=int(config.get("PORT") or 3306),
        user=config.get("USER") or "root",
        password=config.get("PASSWORD") or "",
        connect_timeout=5,
    )
    try:
        cursor = connection.cursor()
        for account in wanted:
            for sql, parameters in statements(account):
                cursor.execute(sql, parameters or None)
            sys.stdout.write(f"database {account.database}: user {account.user}\n")
    finally:
        connection.close()


def main(environment: Mapping[str, str]) -> int:
    prefix = environment.get("DATABASE_PREFIX", "careforall_")
    wanted = accounts(environment, prefix=prefix)
    if not wanted:
        sys.stderr.write("no <SERVICE>_DATABASE_URL set: nothing to do\n")
        return 1
    apply(admin_url(environment), wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main(environ.FileAwareMapping()))
