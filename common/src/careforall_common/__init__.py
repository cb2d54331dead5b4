"""Code every CareForAll service needs, kept once (SPEC §7)."""
