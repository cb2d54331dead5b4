"""``manage.py transparency_key [--create]``: print the transparency key's verifier key string
(as ``GET /api/transparency/key`` serves it); ``--create`` first makes the key file
(``TRANSPARENCY_KEY_FILE``, mode 0600) when it is missing, never replacing one."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from transparency.signing import key_create, verifier_key


class Command(BaseCommand):
    help = "Print the transparency key's verifier key; --create makes the key if missing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--create", action="store_true", help="make the key file if missing")

    def handle(self, *args: Any, create: bool = False, **options: Any) -> None:
        if create and key_create(settings.TRANSPARENCY_KEY_FILE):
            self.stderr.write(f"created {settings.TRANSPARENCY_KEY_FILE}")
        self.stdout.write(verifier_key())
