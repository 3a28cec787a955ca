"""The question set: validation errors that name the item, and fact matching."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from assistant.evaluation.dataset import DatasetError, load_question_set
from assistant.evaluation.metrics import fact_present
from assistant.ingest.document import Document
from tests.evaluation.conftest import QUESTIONS

GOOD = """
  - id: good-one
    split: dev
    language: nb
    category: fact
    question: "Hva er tiårsmål 2?"
    expected_facts: [["livmorhalskreft"]]
    evidence: [{document: strategi-2025-2035, passage: "Eliminere livmorhalskreft"}]
    answerable: true
"""


def _write(tmp_path: Path, items: str) -> Path:
    path = tmp_path / "questions.yaml"
    bad = textwrap.indent(textwrap.dedent(items), "  ")
    path.write_text("items:\n" + GOOD + bad, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            """
            - id: no-split
              language: nb
              category: fact
              question: "Hva?"
              answerable: false
            """,
            "item 'no-split': 'split' must be one of dev, heldout",
        ),
        (
            """
            - id: klingon
              split: dev
              language: tlh
              category: fact
              question: "Hva?"
              answerable: false
            """,
            "item 'klingon': 'language' must be one of nb, en",
        ),
        (
            """
            - id: no-evidence
              split: heldout
              language: nb
              category: fact
              question: "Hva?"
              expected_facts: [["x"]]
              answerable: true
            """,
            "item 'no-evidence': an answerable item needs expected_facts and evidence",
        ),
        (
            """
            - id: facts-not-lists
              split: dev
              language: nb
              category: fact
              question: "Hva?"
              expected_facts: ["x"]
              answerable: false
            """,
            "item 'facts-not-lists': 'expected_facts' must be a list of lists",
        ),
        (
            """
            - id: good-one
              split: dev
              language: nb
              category: fact
              question: "Igjen?"
              answerable: false
            """,
            "item 'good-one': duplicate id",
        ),
        (
            """
            - split: dev
              language: nb
            """,
            "item #2: 'id' must be",
        ),
    ],
)
def test_a_bad_item_is_named_in_the_error(tmp_path: Path, bad: str, message: str) -> None:
    with pytest.raises(DatasetError, match=message):
        load_question_set(_write(tmp_path, bad))


def test_evidence_in_an_unknown_document_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, "")
    with pytest.raises(DatasetError, match="item 'good-one': evidence names unknown document"):
        load_question_set(path, known_documents={"another-document"})


def test_broken_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("items: [unclosed", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"broken\.yaml: cannot be read as YAML"):
        load_question_set(path)


def test_a_broken_gate_file_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, "")
    path.with_suffix(".gate.toml").write_text("[thresholds]\nhit@5 = 0.9\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"questions\.gate\.toml: expected a \[thresholds\]"):
        load_question_set(path)


@pytest.mark.slow
def test_the_real_set_is_valid_against_the_corpus(documents: dict[str, Document]) -> None:
    question_set = load_question_set(QUESTIONS, known_documents=set(documents))
    assert len(question_set.items) >= 120
    assert len(question_set.split("dev")) > len(question_set.split("heldout")) >= 30
    assert {i.language for i in question_set.items} == {"nb", "en"}
    assert any(not i.answerable for i in question_set.split("heldout"))


@pytest.mark.parametrize(
    ("answer", "alternatives", "present"),
    [
        ("Tiårsmål 10 handler om kontroller.", ("Tiårsmål 1",), False),
        ("Det er tiårsmål 1: tobakksfri generasjon.", ("Tiårsmål 1",), True),
        ("Se TIÅRSMÅL\u00a01 i strategien", ("tiårsmål 1",), True),
        ("Screening for lungekreften", ("lungekreft",), False),
        ("Screening for lungekreft.", ("lungekreft",), True),
        ("Tiårsmål nr. 2 gjelder HPV", ("Tiårsmål 2", "tiårsmål nr. 2"), True),
        ("Innen 2035 skal ...", ("2030",), False),
    ],
)
def test_facts_match_whole_words_case_insensitively(
    answer: str, alternatives: tuple[str, ...], present: bool
) -> None:
    assert fact_present(answer, alternatives) is present


def test_a_sample_is_spread_over_the_categories() -> None:
    from assistant.evaluation.dataset import evenly_spaced

    heldout = load_question_set(QUESTIONS).split("heldout")
    sample = evenly_spaced(heldout, 20)
    assert len(sample) == len({i.id for i in sample}) == 20
    assert sample == evenly_spaced(heldout, 20)  # the same items on every run
    share = sum(not i.answerable for i in sample) / len(sample)
    assert abs(share - sum(not i.answerable for i in heldout) / len(heldout)) < 0.1
    assert len({i.category for i in sample}) >= len({i.category for i in heldout}) - 3
    assert evenly_spaced(heldout[:5], 20) == heldout[:5]
