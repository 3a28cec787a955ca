"""Ingestion: structure, chunking, sentence units and the ingest service."""
