"""Secrets reach the settings as files (NAME_FILE), as compose and Kubernetes hand them over."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_a_file_wins_over_the_variable(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("from-a-file")
    (tmp_path / "database_url").write_text("mysql://careforall_pledge:pw@mysql:3306")
    environment = {
        **os.environ,
        "DJANGO_DEBUG": "true",
        "DJANGO_SECRET_KEY": "from-the-environment",
        "DJANGO_SECRET_KEY_FILE": str(tmp_path / "secret_key"),
        "DATABASE_URL_FILE": str(tmp_path / "database_url"),
    }
    program = (
        "from careforall_common import settings as s; "
        "print(s.SECRET_KEY); print(s.database('pledge')['USER'])"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], env=environment, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["from-a-file", "careforall_pledge"]
