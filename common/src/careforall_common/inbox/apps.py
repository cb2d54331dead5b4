from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "careforall_common.inbox"
    label = "inbox"
    verbose_name = "Inbox (events received)"
