"""Hybrid retrieval over the index."""
