"""The database init job: each service's user reaches its own database and no other one."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import environ
import MySQLdb
import pytest

from careforall_common import database_users


def connect(url: str, database: str | None = None) -> MySQLdb.Connection:
    config = environ.Env.db_url_config(url)
    return MySQLdb.connect(
        host=config["HOST"] or "127.0.0.1",
        port=int(config["PORT"] or 3306),
        user=config["USER"],
        password=config["PASSWORD"] or "",
        database=database or "",
        connect_timeout=3,
    )


@pytest.fixture
def admin_url() -> str:
    return os.environ.get("DATABASE_URL", "mysql://root@127.0.0.1:3306")


@pytest.fixture
def prefix(admin_url: str) -> Iterator[str]:
    """A prefix of databases and users of this test only, dropped afterwards."""
    prefix = f"cfa_dbu_{secrets.token_hex(3)}_"
    yield prefix
    connection = connect(admin_url)
    cursor = connection.cursor()
    for service in database_users.SERVICES:
        cursor.execute(f"DROP DATABASE IF EXISTS `{prefix}{service}`")
        cursor.execute("DROP USER IF EXISTS %s@'%%'", (f"{prefix}{service}",))
    connection.close()


def service_url(admin_url: str, user: str, password: str) -> str:
    config = environ.Env.db_url_config(admin_url)
    return f"mysql://{user}:{password}@{config['HOST'] or '127.0.0.1'}:{config['PORT'] or 3306}"


def test_each_user_reaches_its_own_database_only(admin_url: str, prefix: str) -> None:
    # given one URL per service, with a user of its own
    env = {"DATABASE_ADMIN_URL": admin_url, "DATABASE_PREFIX": prefix}
    for service in ("pledge", "payment"):
        env[f"{service.upper()}_DATABASE_URL"] = service_url(
            admin_url, f"{prefix}{service}", f"pw-{service}"
        )

    # when the job runs twice (as it does on every start)
    assert database_users.main(env) == 0
    assert database_users.main(env) == 0

    # then pledge's user works in pledge's database
    pledge_url = env["PLEDGE_DATABASE_URL"]
    connection = connect(pledge_url, f"{prefix}pledge")
    cursor = connection.cursor()
    cursor.execute("CREATE TABLE t (id INT PRIMARY KEY)")
    cursor.execute("DROP TABLE t")
    connection.close()
    # and is refused in payment's database (1044: access denied to database)
    with pytest.raises(MySQLdb.OperationalError) as refused:
        connect(pledge_url, f"{prefix}payment")
    assert refused.value.args[0] == 1044


def test_a_changed_password_takes_effect(admin_url: str, prefix: str) -> None:
    user = f"{prefix}user"
    env = {"DATABASE_ADMIN_URL": admin_url, "DATABASE_PREFIX": prefix}
    env["USER_DATABASE_URL"] = service_url(admin_url, user, "first")
    database_users.main(env)

    env["USER_DATABASE_URL"] = service_url(admin_url, user, "second")
    database_users.main(env)

    connect(env["USER_DATABASE_URL"], f"{prefix}user").close()
    with pytest.raises(MySQLdb.OperationalError):
        connect(service_url(admin_url, user, "first"), f"{prefix}user")


@pytest.mark.parametrize(
    "url",
    ["mysql://root:pw@mysql:3306", "mysql://pledge@mysql:3306", "mysql://a%20b:pw@mysql:3306"],
)
def test_refuses_root_a_missing_password_and_odd_names(url: str) -> None:
    with pytest.raises(SystemExit):
        database_users.accounts({"PLEDGE_DATABASE_URL": url}, prefix="careforall_")


def test_the_admin_url_is_made_from_a_password() -> None:
    env = {"DATABASE_ADMIN_PASSWORD": "p@ss/word\n", "DATABASE_HOST": "db"}
    assert database_users.admin_url(env) == "mysql://root:p%40ss%2Fword@db:3306"


def test_nothing_to_do_is_an_error() -> None:
    assert database_users.main({"DATABASE_ADMIN_URL": "mysql://root@127.0.0.1"}) == 1
