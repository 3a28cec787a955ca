"""The learned reader's training side: questions, pairs, training (not the answer path)."""
