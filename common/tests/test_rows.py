"""The hot creates' plain SQL (careforall_common.rows): ``create_transaction`` is one InnoDB
transaction with Django's atomic semantics, and ``statements_run`` one round trip that stops at
the first failing statement. Committed transactions, a second connection to look from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext

from careforall_common.rows import (
    Statement,
    create_transaction,
    row_insert,
    row_prepare,
    statements_run,
)
from careforall_common.testing.concurrency import race
from tests.records.models import Thing

T = TypeVar("T")


class Boom(Exception):
    pass


def elsewhere(call: Callable[[], T]) -> T:
    """``call``'s result on another connection (a thread of its own)."""
    return race([call])[0]


def committed_names() -> list[str]:
    return elsewhere(lambda: sorted(Thing.objects.values_list("name", flat=True)))


def session() -> tuple[int, int]:
    """This connection's (@@in_transaction, @@autocommit)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT @@in_transaction, @@autocommit")
        in_transaction, autocommit = cursor.fetchone()
    return int(in_transaction), int(autocommit)


def connection_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT CONNECTION_ID()")
        return int(cursor.fetchone()[0])


def dropped_by_the_server(*, request_starts: bool = True) -> None:
    """The server ends this connection, as a restart would; then, unless ``request_starts`` is
    false, a request starts (Django checks the connection again before its first query)."""
    killed = connection_id()

    def kill() -> None:
        with connection.cursor() as cursor:
            cursor.execute("KILL CONNECTION %s", [killed])

    elsewhere(kill)
    wrapper: Any = connection  # the health-check flag is not typed
    wrapper.health_check_done = not request_starts


@pytest.mark.django_db(transaction=True)
class TestCreateTransaction:
    def test_its_first_statement_begins_one_transaction_that_the_commit_ends(self) -> None:
        seen: dict[str, Any] = {}

        @create_transaction
        def create() -> None:
            row_insert(Thing, name="a")
            seen["session"] = session()
            seen["elsewhere"] = committed_names()
            row_insert(Thing, name="b")

        with CaptureQueriesContext(connection) as queries:
            create()

        assert seen == {"session": (1, 1), "elsewhere": []}  # uncommitted, autocommit untouched
        assert committed_names() == ["a", "b"]
        assert session() == (0, 1)
        sql = [str(query["sql"]) for query in queries.captured_queries]
        assert len(sql) == 4
        assert sql[0].startswith("START TRANSACTION; INSERT INTO `records_thing`")
        assert sql[1] == "SELECT @@in_transaction, @@autocommit"
        assert sql[2].startswith("INSERT INTO `records_thing`")
        assert sql[3] == "COMMIT"

    def test_an_error_rolls_everything_back_and_runs_no_commit_hook(self) -> None:
        hooks: list[str] = []

        @create_transaction
        def create() -> None:
            row_insert(Thing, name="a")
            transaction.on_commit(lambda: hooks.append("ran"))
            statements_run(row_prepare(Thing, name="b").statement)
            raise Boom

        with pytest.raises(Boom):
            create()

        assert (committed_names(), hooks) == ([], [])
        assert session() == (0, 1)
        assert Thing.objects.count() == 0  # the connection goes on working

    def test_commit_hooks_run_once_committed_outside_any_transaction(self) -> None:
        seen: list[Any] = []

        def hook() -> None:
            seen.extend([committed_names(), session()])

        @create_transaction
        def create() -> None:
            transaction.on_commit(hook)
            row_insert(Thing, name="a")

        create()

        assert seen == [["a"], (0, 1)]

    def test_a_block_without_statements_begins_nothing(self) -> None:
        seen: list[Any] = []

        def hook() -> None:
            seen.append(session())
            row_insert(Thing, name="after")  # autocommit: committed at once

        create_transaction(lambda: transaction.on_commit(hook))()

        assert seen == [(0, 1)]
        assert committed_names() == ["after"]

    def test_a_block_nested_in_it_rolls_back_to_its_savepoint(self) -> None:
        @transaction.atomic
        def undone() -> None:
            row_insert(Thing, name="undone")
            raise Boom

        @create_transaction
        def create() -> None:
            row_insert(Thing, name="kept")
            with pytest.raises(Boom):
                undone()

        create()

        assert committed_names() == ["kept"]

    def test_it_is_refused_inside_another_block(self) -> None:
        create = create_transaction(lambda: row_insert(Thing, name="never"))
        with transaction.atomic(), pytest.raises(RuntimeError, match="durable"):
            create()

        assert committed_names() == []
        assert not hasattr(connection, "_start_transaction_under_autocommit")

    def test_a_failing_first_statement_is_raised_as_execute_raises_it(self) -> None:
        # NOT NULL: MariaDB's 1048, an IntegrityError to Django
        create = create_transaction(lambda: row_insert(Thing, name=None))
        with pytest.raises(IntegrityError):
            create()

        assert session() == (0, 1)
        assert committed_names() == []


@pytest.mark.django_db(transaction=True)
class TestAConnectionTheServerDropped:
    def test_found_by_the_first_round_trip_the_block_runs_once_more(self) -> None:
        runs: list[str] = []

        @create_transaction
        def create() -> Thing:
            runs.append("run")
            return row_insert(Thing, name="once")

        before = connection_id()
        dropped_by_the_server()
        thing = create()

        assert runs == ["run", "run"]
        assert connection_id() != before
        assert committed_names() == ["once"]
        assert Thing.objects.get().pk == thing.pk

    def test_lost_after_the_first_round_trip_it_is_an_error(self) -> None:
        runs: list[str] = []

        @create_transaction
        def create() -> None:
            runs.append("run")
            row_insert(Thing, name="a")
            dropped_by_the_server(request_starts=False)
            row_insert(Thing, name="b")

        with pytest.raises(OperationalError):
            create()

        assert runs == ["run"]
        assert committed_names() == []

    def test_once_checked_in_this_request_it_is_an_error(self) -> None:
        runs: list[str] = []

        @create_transaction
        def create() -> None:
            runs.append("run")
            row_insert(Thing, name="a")

        connection.ensure_connection()
        dropped_by_the_server(request_starts=False)  # checked already: no second chance

        with pytest.raises(OperationalError):
            create()

        assert runs == ["run"]
        connection.close()
        assert committed_names() == []


@pytest.mark.django_db(transaction=True)
class TestStatementsRun:
    def test_statements_run_in_order_and_each_leaves_its_result(self) -> None:
        a, b = row_prepare(Thing, name="a"), row_prepare(Thing, name="b", due_at=3)
        read = Statement("SELECT name, due_at FROM records_thing WHERE name = %s", ["b"])

        first, second, found = create_transaction(
            lambda: statements_run(a.statement, b.statement, read)
        )()

        assert first.lastrowid is not None
        assert second.lastrowid == first.lastrowid + 1
        assert (first.row, second.row, found.row) == (None, None, ("b", 3))
        thing = b.made(second.lastrowid)
        assert (thing.pk, thing.name, thing._state.adding) == (second.lastrowid, "b", False)

    def test_the_first_failure_stops_the_rest_and_the_transaction_rolls_back(self) -> None:
        @create_transaction
        def create() -> None:
            row_insert(Thing, name="a")
            statements_run(
                row_prepare(Thing, name="b").statement,
                row_prepare(Thing, name=None).statement,  # 1048, as execute maps it
                row_prepare(Thing, name="c").statement,
            )

        with pytest.raises(IntegrityError):
            create()

        assert committed_names() == []
        assert Thing.objects.count() == 0  # no result left behind on the connection


@pytest.mark.django_db
def test_inside_a_tests_transaction_it_is_a_savepoint() -> None:
    @create_transaction
    def undone() -> None:
        row_insert(Thing, name="undone")
        raise Boom

    with pytest.raises(Boom):
        undone()
    create_transaction(lambda: row_insert(Thing, name="kept"))()

    assert list(Thing.objects.values_list("name", flat=True)) == ["kept"]
