"""A local, stateful, Stripe-compatible stand-in for Stripe's API and webhooks (SPEC §3).

Development and tests only: it never sits in production's money path. Run it with
`python -m stripe_sandbox` from the repository root; docs/stripe-sandbox.md says what it does.
"""

from .server import Sandbox
from .settings import Chaos, Settings

__all__ = ["Chaos", "Sandbox", "Settings"]
