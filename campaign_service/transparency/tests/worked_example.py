"""The worked example of docs/transparency.md: campaign 12 at ``http://localhost:8080``, two
captures and the refund of the second, signed with the example key (seed 0x00 0x01 … 0x1f).
frontend/src/transparency/verify.test.ts checks the same values."""

from __future__ import annotations

BASE_URL = "http://localhost:8080"
CAMPAIGN_ID = 12
KEY_SEED = bytes(range(32))
KEY_NAME = "localhost:8080/campaigns"
VERIFIER_KEY = "localhost:8080/campaigns+e5d196d3+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"

# salt = SHA-256 of "careforall example salt 0" / "... 1"; payment ids 1041 and 1042
SALTS = (
    "c3d3a2ee0364709945918680eea7523f993c4aa005b6034c116393a51d6b94d9",
    "0202950283521680fe1d625833aeefba97735656e380b3182fc6141e3f82b601",
)
PAYMENT_IDS = (1041, 1042)
COMMITMENTS = (
    "5ac2ad20f14b38d11e61d57b86a4921072092c5beb5ac865926f2f72ed786c09",
    "da546bacbf7bfe8e1628e5cbd4d56ecdd42553aaca871dc423ef807048cc3789",
)
ENTRIES = (
    {
        "index": 0,
        "campaign_id": 12,
        "kind": "capture",
        "amount": 2500,
        "currency": "usd",
        "occurred_at": "2025-03-01T09:30:00.000000Z",
        "commitment": COMMITMENTS[0],
        "refers_to": None,
    },
    {
        "index": 1,
        "campaign_id": 12,
        "kind": "capture",
        "amount": 1000,
        "currency": "usd",
        "occurred_at": "2025-03-01T09:31:12.345678Z",
        "commitment": COMMITMENTS[1],
        "refers_to": None,
    },
    {
        "index": 2,
        "campaign_id": 12,
        "kind": "refund",
        "amount": -1000,
        "currency": "usd",
        "occurred_at": "2025-03-02T14:00:00.500000Z",
        "commitment": COMMITMENTS[1],
        "refers_to": 1,
    },
)
LEAF_BYTES = (
    '{"amount":2500,"campaign_id":12,"commitment":"5ac2ad20f14b38d11e61d57b86a4921072092c5beb5ac8'
    '65926f2f72ed786c09","currency":"usd","index":0,"kind":"capture","occurred_at":"2025-03-01T09'
    ':30:00.000000Z","refers_to":null}',
    '{"amount":1000,"campaign_id":12,"commitment":"da546bacbf7bfe8e1628e5cbd4d56ecdd42553aaca871d'
    'c423ef807048cc3789","currency":"usd","index":1,"kind":"capture","occurred_at":"2025-03-01T09'
    ':31:12.345678Z","refers_to":null}',
    '{"amount":-1000,"campaign_id":12,"commitment":"da546bacbf7bfe8e1628e5cbd4d56ecdd42553aaca871'
    'dc423ef807048cc3789","currency":"usd","index":2,"kind":"refund","occurred_at":"2025-03-02T14'
    ':00:00.500000Z","refers_to":1}',
)
# (level, index) → (hash hex, sum): the complete subtrees a store keeps for three entries
NODES = {
    (0, 0): ("9f7121182e233149ff36dbe0ed60ff9b86b606efef4e400750879d95392cc81c", 2500),
    (0, 1): ("813f5f640f1f3a1747214ce49db6c9c9862bc8dbc50eaa413411775605134abc", 1000),
    (0, 2): ("af11408197f9e924aa4775dfaf6a40e99b191974b759c8a82a2dd4525d896c33", -1000),
    (1, 0): ("1c99b8942b5344984edd0e83a41701b4c3881245be4a871420fecb4501fe77e1", 3500),
}
ROOT_HASH = "69e606599950b2e92758c6c86adec19779b7fbb06e875813eaf61a3b5c827b71"
ROOT_BASE64 = "aeYGWZlQsuknWMbIat7Bl3m3+7Buh1gT6vYaO1yCe3E="
TOTAL = 2500
INCLUSION_PATHS = (
    [NODES[0, 1], NODES[0, 2]],
    [NODES[0, 0], NODES[0, 2]],
    [NODES[1, 0]],
)
CONSISTENCY_PATHS = {(1, 3): [NODES[0, 1], NODES[0, 2]], (2, 3): [NODES[0, 2]]}
CHECKPOINT = f"localhost:8080/campaigns/12\n3\n{ROOT_BASE64}\ntotal 2500 usd\n"
SIGNED_NOTE = (
    CHECKPOINT + "\n\u2014 localhost:8080/campaigns 5dGW036I34n3kpeoSkx693IGXkFKvS2/UBGMVJ2/XbRmmF"
    "NP+U3TQsyqdyibP65Z/pdFQg4HmGeAzr1Vw40ZJ9B6hQk=\n"
)
