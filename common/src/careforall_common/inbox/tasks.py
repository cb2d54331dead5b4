from datetime import timedelta

from django.utils import timezone

from careforall_common.celery import careforall_task
from careforall_common.conf import careforall_settings
from careforall_common.inbox.models import ProcessedEvent


@careforall_task(name="careforall.inbox_prune")
def inbox_prune() -> int:
    """Forget processed event ids long after any redelivery could come."""
    cutoff = timezone.now() - timedelta(days=careforall_settings.INBOX_RETENTION_DAYS)
    deleted, _ = ProcessedEvent.objects.filter(processed_at__lt=cutoff).delete()
    return deleted
