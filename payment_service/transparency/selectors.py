from __future__ import annotations

from typing import Any

from transparency.models import CaptureCommitment


def transparency_block(payment_id: int) -> dict[str, Any] | None:
    """``{campaign_id, index, salt}`` once the capture is logged; None before."""
    row = CaptureCommitment.objects.filter(pk=payment_id, index__isnull=False).first()
    if row is None:
        return None
    return {"campaign_id": row.campaign_id, "index": row.index, "salt": row.salt}
