"""The corpus: manifest, loaders and cleaning."""
