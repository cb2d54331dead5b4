from careforall_common.celery import careforall_task
from careforall_common.outbox import relay
from careforall_common.outbox.wake import RELAY_TASK, RELAY_TASK_EXPIRES


@careforall_task(name=RELAY_TASK, expires=RELAY_TASK_EXPIRES)
def outbox_relay() -> int:
    return relay.relay_due_events()


@careforall_task(name="careforall.outbox_prune")
def outbox_prune() -> int:
    return relay.outbox_prune()
