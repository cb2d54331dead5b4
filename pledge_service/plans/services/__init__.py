"""Every write of recurring plans (docs/recurring.md), one module per concern:

- ``create``: ``POST /api/recurring``, its idempotency record and the first payment;
- ``changes``: the donor's and staff's changes (pause, resume, cancel, amount, card) and the
  state changes every other module shares;
- ``outcomes``: what a payment's outcome does to its plan (activation, dunning);
- ``schedule``: the scheduler that makes the installments that fall due.
"""
