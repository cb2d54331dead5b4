from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from transparency import note
from transparency.signing import KeyMissing, key_create, signing_key, verifier_key


def test_development_makes_the_missing_key_and_keeps_it(settings: Any, tmp_path: Path) -> None:
    settings.DEBUG, settings.TRANSPARENCY_KEY_FILE = True, str(tmp_path / "new" / "t.pem")
    first = verifier_key()
    assert (tmp_path / "new" / "t.pem").stat().st_mode & 0o777 == 0o600
    assert verifier_key() == first
    assert not key_create(tmp_path / "new" / "t.pem")  # never replaced


def test_production_refuses_to_sign_without_its_key(settings: Any, tmp_path: Path) -> None:
    settings.DEBUG, settings.TRANSPARENCY_KEY_FILE = False, str(tmp_path / "missing.pem")
    with pytest.raises(KeyMissing):
        signing_key()


def test_the_command_prints_the_verifier_key_and_creates_one_on_request(
    settings: Any, tmp_path: Path, capsys: Any
) -> None:
    settings.DEBUG, settings.TRANSPARENCY_KEY_FILE = False, str(tmp_path / "k.pem")
    call_command("transparency_key", "--create")
    printed = capsys.readouterr().out.strip()
    assert note.verifier_key_parse(printed)[0] == "localhost:8080/campaigns"
    call_command("transparency_key")
    assert capsys.readouterr().out.strip() == printed
