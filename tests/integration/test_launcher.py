"""scripts/up is safe to run twice (SPEC §6); stopping with Ctrl-C is checked at session end."""

from __future__ import annotations

import os
import subprocess

from integration.conftest import ROOT, Platform


def test_a_second_scripts_up_reports_the_running_platform(platform: Platform) -> None:
    if platform.process is None:
        return  # an externally started platform has its own var/ directory
    result = subprocess.run(
        [str(ROOT / "scripts" / "up")],
        env={**os.environ, "CAREFORALL_VAR": str(ROOT / "var" / "e2e")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0
    assert "already running" in result.stderr
    assert platform.process.poll() is None
