"""The development SMTP sink of scripts/up: every message it accepts becomes one file.

    python scripts/mail_sink.py --port 1025 --dir var/mail

Each message is written as ``<received-time>-<pid>-<n>.eml`` (UTC, sortable), the raw message
as the platform sent it with the envelope's recipients in ``X-Envelope-To`` headers on top, so a
developer opens exactly what a donor would get. A file appears whole (written aside, then
renamed). Nothing is relayed anywhere. SIGTERM or Ctrl-C stops it.
"""

from __future__ import annotations

import argparse
import itertools
import os
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class Store:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.counter = itertools.count(1)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        received = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        name = f"{received}-{os.getpid()}-{next(self.counter)}.eml"
        headers = "".join(f"X-Envelope-To: {rcpt}\r\n" for rcpt in envelope.rcpt_tos)
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode()
        partial = self.directory / f".{name}.part"
        partial.write_bytes(headers.encode() + content)
        partial.rename(self.directory / name)
        return "250 Message accepted for delivery"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("SMTP_PORT", "1025")))
    parser.add_argument("--dir", type=Path, required=True)
    options = parser.parse_args()
    options.dir.mkdir(parents=True, exist_ok=True)
    controller = Controller(Store(options.dir), hostname=options.host, port=options.port)
    stopped = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopped.set())
    controller.start()
    sys.stdout.write(f"mail sink on {options.host}:{options.port}, messages in {options.dir}\n")
    sys.stdout.flush()
    stopped.wait()  # the signal handler sets it: no polling while idle
    controller.stop()


if __name__ == "__main__":
    main()
