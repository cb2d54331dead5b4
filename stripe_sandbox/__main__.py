"""`python -m stripe_sandbox`: serve until SIGINT/SIGTERM; settings from the environment."""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType

from .server import Sandbox
from .settings import ConfigError, Settings

_LOOPBACK = ("127.0.0.1", "::1", "localhost")


def main() -> int:
    try:
        settings = Settings.from_env(os.environ)
    except ConfigError as error:
        sys.stderr.write(f"stripe_sandbox: {error.message}\n")
        return 2
    try:
        sandbox = Sandbox(settings)
    except OSError as error:
        sys.stderr.write(
            f"stripe_sandbox: cannot listen on {settings.host}:{settings.port}: {error}\n"
        )
        return 1

    def stop(signum: int, frame: FrameType | None) -> None:
        # shutdown() waits for serve_forever() to return, which runs in this very thread.
        threading.Thread(target=sandbox.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sandbox.log(
        "start",
        url=sandbox.url,
        webhook_url=settings.chaos.webhook_url,
        api_key="any sk_test_ key" if settings.api_key is None else "SANDBOX_API_KEY",
    )
    if settings.host not in _LOOPBACK:
        sandbox.log("warning", message="listening beyond loopback: /_sandbox/* needs no key")
    sandbox.serve_forever()
    sandbox.log("stop")
    return 0


if __name__ == "__main__":
    sys.exit(main())
