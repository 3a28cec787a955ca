"""Abstention rules and features: each rule's table of cases, and the fitted model file."""

from __future__ import annotations

import re

import pytest

from assistant.answer.abstention import (
    FEATURES,
    AbstentionFeatures,
    constraint_miss,
    load_model,
    mentions,
    unknown_entity,
    unknown_terms,
    unknown_year,
)
from assistant.answer.question import analyse

CORPUS = (
    "Kliniske studier. Kreftforeningen og Helsedirektoratet samarbeider. "
    "Oslo universitetssykehus ble akkreditert i 2017. Storbritannia og Nederland har screening. "
    "Strategien gjelder 2025–2035. "
    "Sveiserøyk og dieseleksos er eksponeringer."
)
WORDS = {w.lower() for w in re.findall(r"\w+", CORPUS)}
PREFIXES = {w[:i] for w in WORDS for i in range(4, len(w) + 1)}


@pytest.mark.parametrize(
    ("question", "abstains"),
    [
        ("Hva skjedde i 2017?", False),
        ("Hva er budsjettet i 2026?", True),
        ("Hva sier strategien for 2025–2035?", False),
        ("What happened in 1999?", True),
        ("Hvor mange får kreft?", False),
    ],
)
def test_unknown_year(question: str, abstains: bool) -> None:
    assert (unknown_year(analyse(question), WORDS) is not None) is abstains


@pytest.mark.parametrize(
    ("question", "abstains"),
    [
        ("Fra hvilken alder tilbys tarmscreening i Sverige?", True),
        ("Hva koster Keytruda i Norge?", True),
        ("Hvordan er screeningen i Storbritannia?", False),
        ("Hva gjør Kreftforeningens forskere?", False),  # an inflection of a known name
        ("Hva gjør Helsedirektoratet?", False),
        ("Når ble Oslo universitetssykehus akkreditert?", False),
        # regressions: word beginnings matched "us" in "used", "uk" in "uker"
        ("Hvor mange uker tar det før behandlingen starter?", False),
        ("Hvilke engelskspråklige kilder brukes?", False),
        # English names may be translations, never decided by this rule
        ("Which programmes does the Norwegian Cancer Society fund?", False),
        ("At what age do US guidelines recommend screening?", False),
        # adjectives of origin: lower case in Norwegian, capitalised in English
        ("Hva sier de svenske retningslinjene?", True),
        ("Hva sier de kliniske retningslinjene?", False),
        ("What do the Danish guidelines recommend?", True),
        ("What do Norwegian guidelines recommend?", False),
    ],
)
def test_unknown_entity(question: str, abstains: bool) -> None:
    assert (unknown_entity(analyse(question), WORDS, PREFIXES) is not None) is abstains


@pytest.mark.parametrize(
    ("name", "text", "named"),
    [
        ("Kreftforeningen", "Kreftforeningens bevilgning", True),
        ("Jan Christian Vestre", "Vestre sa", True),
        ("Sverige", "Sveriges plan", True),
        ("Sverige", "Norges plan", False),
        ("US", "used by many", False),
        ("KS", "KS deltar", True),
    ],
)
def test_mentions(name: str, text: str, named: bool) -> None:
    words = {w.lower() for w in re.findall(r"\w+", text)}
    prefixes = {w[:i] for w in words for i in range(4, len(w) + 1)}
    assert mentions(name, words, prefixes) is named


@pytest.mark.parametrize(
    ("question", "evidence", "share"),
    [
        ("Hva gjorde Kreftforeningen i 2017?", "Kreftforeningen bevilget i 2017", 0.0),
        ("Hva gjorde Kreftforeningen i 2017?", "Kreftforeningen bevilget penger", 0.5),
        ("Hva gjorde Helsedirektoratet?", "Kreftforeningen bevilget penger", 1.0),
        ("Hva gjorde Keytruda?", "Kreftforeningen bevilget penger", 0.0),  # unknown: a rule
    ],
)
def test_constraint_miss(question: str, evidence: str, share: float) -> None:
    words = {w.lower() for w in re.findall(r"\w+", evidence)}
    prefixes = {w[:i] for w in words for i in range(4, len(w) + 1)}
    assert constraint_miss(analyse(question), words, prefixes, WORDS, PREFIXES) == share


def test_unknown_terms_are_norwegian_only_and_accept_compounds() -> None:
    stems = ["tamoksif", "sveiserøyk", "dieselekso"]
    vocabulary = {"sveiserøyk"}
    assert unknown_terms(stems, WORDS, PREFIXES, vocabulary, "nb") == ["tamoksif"]
    assert unknown_terms(stems, WORDS, PREFIXES, vocabulary, "en") == []


@pytest.mark.parametrize(
    ("stem", "known"),
    [
        ("psykososialt", True),  # neuter of "psykososial"
        ("psykososiale", True),  # plural and definite
        ("psykososialest", False),  # no such ending
        ("tamoksift", False),  # the base is not a corpus word either
        ("sost", False),  # a base under four letters proves nothing
    ],
)
def test_an_adjective_ending_on_a_corpus_word_is_known(stem: str, known: bool) -> None:
    words = {"psykososial", "sos"}
    prefixes = {w[:i] for w in words for i in range(4, len(w) + 1)}
    assert (unknown_terms([stem], words, prefixes, set(), "nb") == []) is known


def test_unknown_terms_depend_only_on_the_corpus_given() -> None:
    # regression: a module-level cache keyed by id() let a new corpus inherit an old one's
    other_words = {"tamoksifen"}
    other_prefixes = {w[:i] for w in other_words for i in range(4, len(w) + 1)}
    assert unknown_terms(["tamoksif"], WORDS, PREFIXES, set(), "nb") == ["tamoksif"]
    assert unknown_terms(["tamoksif"], other_words, other_prefixes, set(), "nb") == []


def test_shipped_model_matches_the_features_and_orders_evidence() -> None:
    model = load_model()
    assert model.features == FEATURES
    assert 0.0 < model.threshold < 1.0
    assert model.provenance["split"] == "dev"
    strong = AbstentionFeatures(
        dense=0.92,
        coverage=1.0,
        form_miss=0.0,
        distance=0.0,
        key_miss=0.0,
        constraint_miss=0.0,
        unknown=0.0,
    )
    weak = AbstentionFeatures(
        dense=0.84,
        coverage=0.2,
        form_miss=1.0,
        distance=1.0,
        key_miss=1.0,
        constraint_miss=1.0,
        unknown=2.0,
    )
    assert model.probability(strong) > model.threshold > model.probability(weak)
