"""Swappable parts behind small interfaces: embedders and the LLM client."""
