from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.services import staff_ensure


class Command(BaseCommand):
    help = "Ensure the staff account of ADMIN_EMAIL / ADMIN_PASSWORD exists (SPEC §3)."

    def handle(self, *args: Any, **options: Any) -> None:
        user = staff_ensure(email=settings.ADMIN_EMAIL, password=settings.ADMIN_PASSWORD)
        self.stdout.write(f"staff account ready: {user.email}")
