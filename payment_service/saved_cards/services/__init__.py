"""Services of saved_cards: the plan's card (``cards``), the payments of a plan made on request
(``plan_payments``: the first, and an installment's authenticated retry) and the off-session
installments (``installments``)."""
