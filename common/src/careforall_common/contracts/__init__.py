"""The platform's contracts (SPEC): every rule that more than one place needs, written once.

- ``events``: the envelope and the payload of each domain event (SPEC §4);
- ``statuses``: the status values of pledges, payments and campaigns;
- ``transitions``: the one forward-only transition table of pledges and payments (SPEC §5.3);
- ``money``: the amount bounds and the currency check (SPEC §2);
- ``receipts``: the hash by which a guest's receipt token is checked, on both sides of a call;
- ``internal``: the answers of the signed internal reads between services.

A service never restates one of these: its models take their ``choices`` from ``statuses``, its
checks from ``money``, its state machine from ``transitions``.
"""
