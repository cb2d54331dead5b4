"""gunicorn settings shared by the four services, read from each service's ``gunicorn.conf.py``.

gunicorn answers a request it cannot parse (a control byte such as DEL in a header value, a
malformed request line) itself, before Django sees it, with an HTML page. SPEC §2 wants problem
details for every error, so its error writer is replaced with one that writes a problem document
of the same status. The detail is fixed: gunicorn's message may quote the offending bytes.
"""

from __future__ import annotations

import json
import socket

from gunicorn import util

DETAILS = {
    400: "The request is malformed.",
    403: "The request is not allowed.",
    414: "The request line is too long.",
    417: "The expectation cannot be met.",
    431: "The request's header fields are too large.",
    500: "The server could not complete the request.",
    501: "The request uses a transfer coding the server does not support.",
}


def write_problem(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """Write ``status_int`` as ``application/problem+json`` and close (gunicorn's signature)."""
    body = json.dumps(
        {
            "type": "about:blank",
            "title": reason,
            "status": status_int,
            "detail": DETAILS.get(status_int, reason),
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/problem+json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


util.write_error = write_problem


def child_exit(server: object, worker: object) -> None:
    """Forget a stopped worker's live gauges in the metrics directory (prometheus_client)."""
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined,no-untyped-call]
