"""The index and the hybrid retriever from a llama-index app: nodes, vector store, query engine."""

from __future__ import annotations

import numpy as np
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.vector_stores.types import VectorStoreQuery

import assistant
from assistant.components.embedding import E5Embedding
from assistant.index.nodes import chunk_from_node
from assistant.index.store import LoadedIndex
from assistant.retrieval.hybrid import Filters, HybridRetriever
from assistant.settings import IndexSettings, Settings
from tests.conftest import BuiltIndex

HPV_QUESTION = "Hvilket tiårsmål dekker eliminering av HPV?"


def test_chunk_nodes_carry_the_citation_metadata(loaded_index: LoadedIndex) -> None:
    nodes = loaded_index.chunk_nodes()
    assert len(nodes) == len(loaded_index.chunks)
    for node, chunk in zip(nodes, loaded_index.chunks, strict=True):
        assert chunk_from_node(node) == chunk
        document = loaded_index.documents[chunk.document_id]
        assert document.text[node.start_char_idx : node.end_char_idx] == node.text
        assert node.metadata["title"] == document.title
        assert node.metadata["section_path"][-1] in chunk.section
    goal = next(n for n in nodes if n.metadata["tiarsmal"] == 2)
    assert goal.metadata["section_path"][:2] == ["Målområde 1", goal.metadata["section_path"][1]]
    # what an LLM sees: the passage with its title, section and page, not offsets or ids
    shown = goal.get_content(metadata_mode="llm")  # type: ignore[arg-type]
    assert "Tiårsmål 2" in shown
    assert "section_id" not in shown


def test_sentence_nodes_are_verbatim_children_of_their_chunk(loaded_index: LoadedIndex) -> None:
    nodes = loaded_index.sentence_nodes()
    assert len(nodes) == len(loaded_index.sentences)
    chunk_ids = {c.id for c in loaded_index.chunks}
    for node in nodes[:: max(1, len(nodes) // 200)]:
        assert node.parent_node is not None
        assert node.parent_node.node_id in chunk_ids
        text = loaded_index.documents[node.metadata["document_id"]].text
        assert text[node.metadata["start"] : node.metadata["end"]] == node.text


def test_the_vector_store_is_llama_index_faiss(loaded_index: LoadedIndex) -> None:
    vector = loaded_index.vectors.reconstruct(7)
    result = loaded_index.vector_store.query(
        VectorStoreQuery(query_embedding=np.asarray(vector).tolist(), similarity_top_k=3)
    )
    assert result.ids is not None
    assert result.ids[0] == "7"  # a chunk is its own nearest neighbour


def test_retriever_returns_nodes_for_llama_index(retriever: HybridRetriever) -> None:
    nodes = retriever.retrieve(HPV_QUESTION)
    assert nodes[0].node.metadata["tiarsmal"] == 2
    hits = retriever.search(HPV_QUESTION)
    assert [n.node.node_id for n in nodes] == [h.chunk.id for h in hits]
    assert [n.score for n in nodes] == [h.score for h in hits]


def test_as_retriever_drops_into_a_query_engine(
    built_index: BuiltIndex, e5_embedder: E5Embedding
) -> None:
    settings = Settings(index=IndexSettings(dir=built_index.dir))
    retriever = assistant.as_retriever(
        settings, filters=Filters(kinds=["strategy"]), embedder=e5_embedder
    )
    engine = RetrieverQueryEngine.from_args(retriever, llm=MockLLM())
    response = engine.query(HPV_QUESTION)
    sources = response.source_nodes
    assert sources
    assert sources[0].node.metadata["section"].startswith("Målområde 1 › Tiårsmål 2")
    assert {s.node.metadata["kind"] for s in sources} == {"strategy"}
    assert str(response)  # the mock LLM answered over the retrieved passages
