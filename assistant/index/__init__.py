"""The index on disk: FAISS, BM25, chunks, manifest and the embedding cache."""
