"""Chunks and sentence units as llama-index ``TextNode``s, so partner apps can use the index.

A node's id is the chunk id (``<document>:<nnnn>``) or ``<chunk id>/s<n>`` for a
sentence unit; its text is the verbatim passage; ``start_char_idx``/``end_char_idx``
are the passage's offsets in the document's cleaned text (``GET /v1/documents/{id}``);
the metadata carries the document, its title and kind, the section path, the page and
the goal numbers. The conversion is exact both ways for chunks (:func:`chunk_from_node`).
"""

from __future__ import annotations

from typing import Any

from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

from assistant.ingest.chunking import Chunk
from assistant.ingest.document import Document
from assistant.ingest.sentences import SentenceUnit

SECTION_SEPARATOR = " › "
# Shown to an LLM with the text by llama-index's synthesizers; the rest stays out of prompts.
_LLM_METADATA = ("title", "section", "page")


def chunk_node(chunk: Chunk, document: Document | None = None) -> TextNode:
    """The chunk as a node; ``document`` adds its title and kind to the metadata."""
    metadata: dict[str, Any] = {
        "document_id": chunk.document_id,
        "section_id": chunk.section_id,
        "section": chunk.section,
        "section_path": chunk.section.split(SECTION_SEPARATOR),
        "page": chunk.page,
        "start": chunk.start,
        "end": chunk.end,
        "malomrade": chunk.malomrade,
        "tiarsmal": chunk.tiarsmal,
    }
    if document is not None:
        metadata["title"] = document.title
        metadata["kind"] = document.meta.kind
    return TextNode(
        id_=chunk.id,
        text=chunk.text,
        start_char_idx=chunk.start,
        end_char_idx=chunk.end,
        metadata=metadata,
        excluded_llm_metadata_keys=[k for k in metadata if k not in _LLM_METADATA],
        excluded_embed_metadata_keys=list(metadata),
        relationships={
            NodeRelationship.SOURCE: RelatedNodeInfo(node_id=chunk.document_id),
        },
    )


def chunk_from_node(node: TextNode) -> Chunk:
    """The chunk a node made by :func:`chunk_node` stands for."""
    meta = node.metadata
    return Chunk(
        id=node.node_id,
        document_id=meta["document_id"],
        section_id=meta["section_id"],
        section=meta["section"],
        start=int(meta["start"]),
        end=int(meta["end"]),
        page=meta["page"],
        text=node.text,
        malomrade=meta["malomrade"],
        tiarsmal=meta["tiarsmal"],
    )


def sentence_node(unit: SentenceUnit, position: int, chunk: Chunk, text: str) -> TextNode:
    """A sentence unit (``text`` is its verbatim span) as a child node of its chunk's node."""
    return TextNode(
        id_=f"{chunk.id}/s{position}",
        text=text,
        start_char_idx=unit.start,
        end_char_idx=unit.end,
        metadata={
            "document_id": chunk.document_id,
            "section": chunk.section,
            "page": chunk.page,
            "start": unit.start,
            "end": unit.end,
            "chunk_id": chunk.id,
        },
        relationships={NodeRelationship.PARENT: RelatedNodeInfo(node_id=chunk.id)},
    )
