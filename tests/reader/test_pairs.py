"""The learned reader's training data holds no held-out question, nor a near copy of one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.components.embedding import E5Embedding
from assistant.evaluation.dataset import load_question_set
from assistant.reader.pairs import NEAR_COPY, read_pairs

DATA = Path("models/reader/data")


@pytest.fixture(scope="module")
def training_questions() -> list[str]:
    if not (DATA / "pairs.jsonl").is_file():
        pytest.fail(f"{DATA / 'pairs.jsonl'} is missing: run `assistant reader data`")
    return sorted({p.question for p in read_pairs(DATA)})


def test_no_held_out_question_is_in_the_training_data(training_questions: list[str]) -> None:
    held_out = {
        t for i in load_question_set(Path("eval/questions.yaml")).split("heldout") for t in i.turns
    }
    assert not held_out & set(training_questions)


def test_no_training_question_is_a_near_copy_of_a_held_out_one(
    training_questions: list[str], e5_embedder: E5Embedding
) -> None:
    held_out = [
        t for i in load_question_set(Path("eval/questions.yaml")).split("heldout") for t in i.turns
    ]
    ours = e5_embedder.embed_queries(training_questions)
    theirs = e5_embedder.embed_queries(held_out)
    nearest = np.max(ours @ theirs.T, axis=1)
    copies = [q for q, c in zip(training_questions, nearest, strict=True) if c >= NEAR_COPY]
    assert copies == []


def test_the_data_card_counts_the_pairs_it_describes() -> None:
    import json

    card = json.loads((DATA / "datacard.json").read_text(encoding="utf-8"))
    pairs = read_pairs(DATA)
    counted = sum(sum(labels.values()) for labels in card["counts"].values())
    assert counted == len(pairs)
    assert {p.source for p in pairs} == set(card["counts"])
