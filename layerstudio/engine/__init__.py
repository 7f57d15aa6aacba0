"""The generative engine (torch, never Qt)."""
