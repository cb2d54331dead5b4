"""The plan routes (SPEC §3 "Recurring gifts"), one view per operation:

- ``plans``: ``/api/recurring`` — set up and list, read, change, pause, resume, cancel, card;
- ``installments``: completing 3-D Secure of a declined installment;
- ``internal``: the signed read of plans for campaign_service's reconciliation;
- ``access``: who may open a plan, its JSON, and the card-testing gate of the money routes.
"""
