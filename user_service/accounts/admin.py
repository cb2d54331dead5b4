from django.contrib import admin

from accounts.models import User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["id", "email", "name", "role", "is_active", "created_at"]
    list_filter = ["role", "is_active"]
    search_fields = ["email", "name"]
    ordering = ["-id"]
    fields = ["email", "name", "role", "is_active", "created_at", "last_login"]
    readonly_fields = ["created_at", "last_login"]
