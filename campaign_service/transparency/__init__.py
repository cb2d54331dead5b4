"""The campaigns' transparency logs (SPEC §3 "Transparency log"): a Merkle tree with sums over
each campaign's money entries (``tree``) and its signed checkpoints (``note``)."""
