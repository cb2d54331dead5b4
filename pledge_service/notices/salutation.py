"""The name an email greets the donor by: theirs, unless it could act as a link (issue 20, 11).

A guest types both their name and their email address, so a card tester or a spammer can make
the charity's own branded email carry a link to anyone: ``donor_name = "Claim your refund at
evil.example/r"`` with a victim's address. HTML escaping does not help, since mail clients turn
URLs in the text part into links themselves. A name that looks like it holds an address (a
scheme, ``www.``, an ``@``, a slash, or a dot inside a word, as in ``evil.example``) is not
repeated: the email says "Dear donor". Control characters go, and a long name is cut.
"""

from __future__ import annotations

import re
import unicodedata

FALLBACK = "donor"
MAX_LENGTH = 60
_LINK_LIKE = re.compile(r"://|www\.|@|/|\\|\w\.\w", re.IGNORECASE)


def salutation(name: str) -> str:
    cleaned = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if not cleaned or _LINK_LIKE.search(cleaned):
        return FALLBACK
    return cleaned if len(cleaned) <= MAX_LENGTH else cleaned[: MAX_LENGTH - 1].rstrip() + "…"
