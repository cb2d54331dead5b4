"""The MariaDB/MySQL error codes the services act on, and how to read them from an error."""

from __future__ import annotations

DUPLICATE_KEY = 1062  # a unique index refused the insert
LOCK_WAIT_TIMEOUT = 1205  # innodb_lock_wait_timeout passed while waiting for a row lock
DEADLOCK = 1213  # the server rolled this transaction back to break a deadlock


def error_code(error: BaseException) -> int | None:
    """The server's error number of a ``django.db`` error (mysqlclient puts it first), or None."""
    code = error.args[0] if error.args else None
    return code if isinstance(code, int) else None


def is_contention(error: BaseException) -> bool:
    """Whether ``error`` is a deadlock or a lock wait timeout: the transaction may be retried."""
    return error_code(error) in (DEADLOCK, LOCK_WAIT_TIMEOUT)
