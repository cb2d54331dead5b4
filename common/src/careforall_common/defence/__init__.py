"""Card-testing defence (SPEC §3 "Card-testing defence", guarantee 12; docs/card-testing.md).

Every way money enters (a payment, a recurring plan, a card change) asks ``attempt_admit``
before any provider call: velocity limits per client address, guest email, account and campaign
(``limits``), then, while challenge mode is active, a verified single-use challenge token for a
guest (``challenge``). Outcomes feed back: a declined or refused guest attempt counts towards
switching challenge mode on in ``auto``, and a card's declines (by the provider's fingerprint)
make its authorizations suspicious, so they are canceled instead of captured.
"""
