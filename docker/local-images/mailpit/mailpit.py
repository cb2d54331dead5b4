#!/usr/bin/env python3
"""An SMTP sink standing in for Mailpit: every message is accepted and dropped.

``/mailpit`` serves SMTP on 1025; ``/mailpit readyz`` exits 0 once the server greets.
"""

from __future__ import annotations

import asyncio
import socket
import sys

PORT = 1025


async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"220 mailpit ESMTP\r\n")
    in_data = False
    while line := await reader.readline():
        if in_data:
            if line in (b".\r\n", b".\n"):
                in_data = False
                writer.write(b"250 OK queued\r\n")
            continue
        verb = line[:4].upper()
        if verb == b"EHLO":
            writer.write(b"250-mailpit\r\n250 8BITMIME\r\n")
        elif verb == b"DATA":
            in_data = True
            writer.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
        elif verb == b"QUIT":
            writer.write(b"221 Bye\r\n")
            break
        else:  # HELO, MAIL, RCPT, RSET, NOOP
            writer.write(b"250 OK\r\n")
        await writer.drain()
    await writer.drain()
    writer.close()


async def serve() -> None:
    server = await asyncio.start_server(session, "0.0.0.0", PORT)  # noqa: S104 (a container)
    async with server:
        await server.serve_forever()


def ready() -> int:
    try:
        with socket.create_connection(("127.0.0.1", PORT), timeout=2) as connection:
            return 0 if connection.recv(3) == b"220" else 1
    except OSError:
        return 1


if __name__ == "__main__":
    if sys.argv[1:] == ["readyz"]:
        sys.exit(ready())
    asyncio.run(serve())
