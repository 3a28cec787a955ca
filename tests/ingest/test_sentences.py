"""Where a sentence ends: one rule for chunking, quotable units and generated answers."""

from __future__ import annotations

import pytest

from assistant.answer.generative import split_sentences
from assistant.ingest.sentences import sentence_spans, split_units

CASES = [
    # (text, sentences)
    (
        "Kreft rammer mange. Målet er færre nye tilfeller.",
        ["Kreft rammer mange.", "Målet er færre nye tilfeller."],
    ),
    (
        "Det gjelder bl.a. Kreftregisteret. Neste setning.",
        ["Det gjelder bl.a. Kreftregisteret.", "Neste setning."],
    ),
    (
        "Tiltaket ledes av prof. Hansen og dr. Berg.",
        ["Tiltaket ledes av prof. Hansen og dr. Berg."],
    ),
    (
        "Fra 1. januar 2025 gjelder det nye. Slik er det.",
        ["Fra 1. januar 2025 gjelder det nye.", "Slik er det."],
    ),
    ("Tallet er 5 % i 2024. 2035 er målåret.", ["Tallet er 5 % i 2024.", "2035 er målåret."]),
    (
        "Han sa «Vi skal lykkes.» Deretter gikk han.",
        ["Han sa «Vi skal lykkes.»", "Deretter gikk han."],
    ),
    ("Er dette nok? Nei! Mer trengs.", ["Er dette nok?", "Nei!", "Mer trengs."]),
    ("Første linje uten punktum\nAndre linje", ["Første linje uten punktum", "Andre linje"]),
    ("se side 3. deretter kommer resten.", ["se side 3. deretter kommer resten."]),
    # a citation marker closes a sentence (generated answers mark their sources so)
    (
        "Tiårsmål 2 gjelder HPV [1]. Det er i målområde 1 [2].",
        ["Tiårsmål 2 gjelder HPV [1].", "Det er i målområde 1 [2]."],
    ),
    (
        "Tiårsmål 2 gjelder HPV. [1] Det er i målområde 1. [2]",
        ["Tiårsmål 2 gjelder HPV. [1]", "Det er i målområde 1. [2]"],
    ),
    (
        "Strategien varer til 2035 [1] Den ble lagt fram i 2025 [2]",
        ["Strategien varer til 2035 [1]", "Den ble lagt fram i 2025 [2]"],
    ),
]


@pytest.mark.parametrize(("text", "sentences"), CASES)
def test_sentences_end_where_norwegian_ones_do(text: str, sentences: list[str]) -> None:
    assert [text[a:b] for a, b in sentence_spans(text)] == sentences


@pytest.mark.parametrize(("text", "sentences"), CASES)
def test_a_generated_answer_is_split_by_the_same_rule(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


def test_a_fragment_too_short_to_quote_joins_the_unit_before_it() -> None:
    text = "Dette er en lang nok setning. Ja. Og her er en til som er lang."
    units = [text[a:b] for a, b in split_units(text, 0, len(text))]
    assert units == ["Dette er en lang nok setning. Ja.", "Og her er en til som er lang."]


def test_spans_stay_inside_the_window_they_are_asked_for() -> None:
    text = "Utenfor. Innenfor er dette. Og dette også. Utenfor igjen."
    start, end = text.index("Innenfor"), text.index(" Utenfor igjen")
    assert [text[a:b] for a, b in sentence_spans(text, start, end)] == [
        "Innenfor er dette.",
        "Og dette også.",
    ]


# Models write lists inline; a list's ordinal belongs to the item it numbers, not to the
# sentence before it (the corpus's own lists are one item a line and never meet this).
INLINE_LISTS = [
    (
        "Fem målområder: 1. Norge skal forebygge. 2. Flere skal overleve.",
        ["Fem målområder: 1. Norge skal forebygge.", "2. Flere skal overleve."],
    ),
    ("Målene er: 1. Færre skal få kreft.", ["Målene er: 1. Færre skal få kreft."]),
    ("Det gjelder 2025. Neste steg kommer.", ["Det gjelder 2025.", "Neste steg kommer."]),
]


@pytest.mark.parametrize(("text", "sentences"), INLINE_LISTS)
def test_an_inline_list_keeps_its_ordinals_with_their_items(
    text: str, sentences: list[str]
) -> None:
    assert split_sentences(text) == sentences
