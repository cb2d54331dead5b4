from django.contrib import admin
from django.utils.html import format_html

from accounts.models import User
from careforall_common.admin import admin_link


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["id", "email", "name", "role", "is_active", "created_at", "donations"]
    list_filter = ["role", "is_active"]
    search_fields = ["email", "name"]
    ordering = ["-id"]
    fields = ["email", "name", "role", "is_active", "created_at", "last_login", "donations"]
    readonly_fields = ["created_at", "last_login", "donations"]

    @admin.display(description="Donations")
    def donations(self, user: User) -> str:
        """The account's pledges and payments in their admins, through the gateway (SPEC §3)."""
        if user.pk is None:
            return "-"
        pledges = admin_link("pledge", None, "pledges", user_id=user.pk)
        payments = admin_link("payment", None, "payments", user_id=user.pk)
        return format_html("{} · {}", pledges, payments)
