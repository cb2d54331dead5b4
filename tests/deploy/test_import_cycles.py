"""scripts/import_cycles.py: the check scripts/test runs on the shared package and each service."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHECK = REPO / "scripts" / "import_cycles.py"


def _run(*roots: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CHECK), *map(str, roots)], capture_output=True, text=True, check=False
    )


def _app(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_the_tree_has_no_import_cycle() -> None:
    result = _run()
    assert result.returncode == 0, result.stdout
    assert "no import cycles" in result.stdout


def test_a_cycle_hidden_in_a_function_fails(tmp_path: Path) -> None:
    root = _app(
        tmp_path / "some_service",
        {
            "shop/__init__.py": "",
            "shop/services.py": "def order_pay():\n    from shop.tasks import pay\n    pay()\n",
            "shop/tasks.py": "from shop import services\n\ndef pay():\n    services\n",
            "shop/models.py": "",
        },
    )
    result = _run(root)
    assert result.returncode == 1
    assert "shop.services ↔ shop.tasks" in result.stdout


def test_a_relative_import_cycle_fails_and_type_checking_imports_do_not(tmp_path: Path) -> None:
    root = _app(
        tmp_path / "other_service",
        {
            "app/__init__.py": "",
            "app/a.py": "from . import b\n",
            "app/b.py": "from .c import thing\n",
            "app/c.py": "from app.a import x\nthing = 1\n",
            "app/d.py": "import typing\nif typing.TYPE_CHECKING:\n    from app.e import y\n",
            "app/e.py": "from app.d import z\n",
        },
    )
    result = _run(root)
    assert result.returncode == 1
    assert "app.a ↔ app.b ↔ app.c" in result.stdout
    assert "app.d" not in result.stdout


def test_tests_and_migrations_are_left_out(tmp_path: Path) -> None:
    root = _app(
        tmp_path / "third_service",
        {
            "app/__init__.py": "",
            "app/models.py": "",
            "app/tests/__init__.py": "",
            "app/tests/test_x.py": "from app.tests import conftest\n",
            "app/tests/conftest.py": "from app.tests import test_x\n",
        },
    )
    assert _run(root).returncode == 0
