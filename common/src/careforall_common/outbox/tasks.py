from careforall_common.celery import careforall_task
from careforall_common.outbox import relay


@careforall_task(name="careforall.outbox_relay", expires=10)
def outbox_relay() -> int:
    return relay.relay_due_events()


@careforall_task(name="careforall.outbox_prune")
def outbox_prune() -> int:
    return relay.outbox_prune()
