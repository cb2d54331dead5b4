"""Test helpers shared by every service's suite (pytest plugin, tokens, signed requests)."""
