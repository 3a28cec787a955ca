"""Abstention: does the evidence answer what was asked?

The dense similarity of multilingual-e5-small is high for anything on the topic
of cancer care, so it cannot alone tell an answerable question from an on-topic
one the documents do not answer. The decision reads the evidence the way a
careful reader would, from the question's analysis (:mod:`assistant.answer.question`):

Rules (certain, each a named function with its table of cases in
``tests/answer/test_abstention.py``):

- :func:`unknown_year`: the question names a year the documents never mention;
- :func:`unknown_entity`: a Norwegian question names something (a proper name) the
  documents never mention ("Sverige", "Keytruda");
- a goal number that does not exist (in the service, from the goal registry).

Features (:class:`AbstentionFeatures`), combined by a logistic regression
(scikit-learn) fitted on the dev split only by ``python bench/calibrate_abstention.py``;
its coefficients, scaling, threshold and provenance are the data file
``abstention_model.json`` beside this module:

- ``dense``: similarity of the best unit to the question;
- ``coverage``: IDF-weighted share of the question's focus (the words the corpus
  knows) found in the cited quotes and the headings above them;
- ``form_miss``: the question asks for a checkable form (number, share, amount,
  date, age, name, place, items) and no cited quote holds one;
- ``distance``: how far (in words, over :data:`~assistant.answer.forms.FAR`) the
  nearest answer of the expected type stands from a focus word, in the best three
  units ("an answer of the type, next to the focus"); 0 for types with no form;
- ``key_miss``: the most specific focus word (highest IDF among those the corpus
  knows) is not in the cited evidence ("the focus must be there");
- ``constraint_miss``: share of the question's constraints (years, names the corpus
  knows) that the evidence does not mention;
- ``unknown``: content words of a Norwegian question the corpus never uses.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from importlib import resources
from typing import Any

from assistant.answer.logistic import LogisticModel, load_fitted
from assistant.answer.question import SCOPE_WORDS as _SCOPE
from assistant.answer.question import QuestionAnalysis

MODEL_FILE = "abstention_model.json"
JUDGED_MODEL_FILE = "judged_model.json"

# Question words and verbs of asking, as Norwegian stems: never "unknown" content.
_ASKING_STEMS = frozenset(
    "hvilk hva hvem hvor hvordan når hvorfor nevn finn fins gjeld står sto sier".split()
)


@dataclass(frozen=True)
class AbstentionFeatures:
    """What the evidence says about answerability; see the module docstring."""

    dense: float
    coverage: float
    form_miss: float
    distance: float
    key_miss: float
    constraint_miss: float
    unknown: float

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}


FEATURES: tuple[str, ...] = tuple(AbstentionFeatures.__dataclass_fields__)


class AbstentionModel(LogisticModel):
    """The fitted abstention model: standardised features → P(answerable)."""

    def probability(self, features: AbstentionFeatures) -> float:
        return self.probability_of(features.as_dict())


def load_model() -> AbstentionModel:
    """The fitted model shipped with the package (``abstention_model.json``)."""
    return load_fitted(
        AbstentionModel, MODEL_FILE, FEATURES, "python bench/calibrate_abstention.py"
    )


def _tokens(name: str) -> list[str]:
    return [t.lower() for t in re.findall(r"\w+", name) if len(t) >= 3 or t.isupper()]


def words_and_prefixes(texts: Iterable[str]) -> tuple[set[str], set[str]]:
    """The lower-case words of ``texts`` and their prefixes of four letters or more:
    what :func:`mentions` reads a text by."""
    words = {w.lower() for text in texts for w in re.findall(r"\w+", text)}
    return words, {w[:i] for w in words for i in range(4, len(w) + 1)}


def mentions(name: str, words: set[str], prefixes: set[str]) -> bool:
    """Does a text (its lower-case ``words`` and their 4+ letter ``prefixes``) name ``name``?

    Inflections and compounds count: "Kreftforeningens" is named by "Kreftforeningen",
    "Sverige" by "Sveriges". Any token of a multi-word name is enough (a name is often
    shortened: "Vestre" for "Jan Christian Vestre").
    """
    for token in _tokens(name):
        if token in words or token in prefixes:
            return True
        stem = token[: max(4, len(token) - 2)]
        if len(token) >= 5 and stem in prefixes:
            return True
    return False


def unknown_year(analysis: QuestionAnalysis, corpus_words: set[str]) -> str | None:
    """A year the question names that no document mentions: nothing can answer it."""
    for year in analysis.years:
        if year not in corpus_words:
            return f"year {year} is not in the documents"
    return None


# Adjectives of origin: Norwegian writes them in lower case ("svenske", "amerikansk"),
# English capitalises them ("Danish", "Canadian", "Japanese"). One the documents never
# use names a place they never speak of.
_ORIGIN_NB = re.compile(r"\b[a-zæøå]{3,}sk[e]?\b")
_ORIGIN_EN = re.compile(r"\b[A-Z][a-z]{2,}(?:ish|ian|ese)\b")


def unknown_entity(
    analysis: QuestionAnalysis, corpus_words: set[str], corpus_prefixes: set[str]
) -> str | None:
    """A name, or an adjective of origin, that no document mentions: nothing can answer it.

    Names in English questions are exempt (they are often translations, "Cancer
    Society" for "Kreftforeningen", that a Norwegian corpus cannot contain), but not
    English adjectives of origin ("Danish"): the documents' own is scope.
    """
    if analysis.language == "nb":
        for name in analysis.entities:
            if not mentions(name, corpus_words, corpus_prefixes):
                return f"the documents never mention {name}"
        origins = _ORIGIN_NB.findall(analysis.text)
    else:
        origins = [w for w in _ORIGIN_EN.findall(analysis.text) if w.lower() not in _SCOPE]
    for word in origins:
        if not mentions(word, corpus_words, corpus_prefixes):
            return f"the documents never mention {word}"
    return None


def constraint_miss(
    analysis: QuestionAnalysis,
    evidence_words: set[str],
    evidence_prefixes: set[str],
    corpus_words: set[str],
    corpus_prefixes: set[str],
) -> float:
    """Share of the question's known constraints (years, names) the evidence does not name."""
    known = [
        c
        for c in analysis.constraints
        if c in corpus_words or mentions(c, corpus_words, corpus_prefixes)
    ]
    if not known:
        return 0.0
    missing = [c for c in known if not mentions(c, evidence_words, evidence_prefixes)]
    return len(missing) / len(known)


def unknown_terms(
    stems: list[str],
    words: set[str],
    prefixes: set[str],
    stem_vocabulary: set[str] | dict[str, Any],
    language: str,
) -> list[str]:
    """Content stems of a Norwegian question the corpus never uses.

    Inflections ("screeningen", and an adjective's neuter or plural ending the stemmer
    leaves: "psykososialt", :func:`_inflection_of_known`) and compounds of known words
    ("satsingsområde" = "satsing" + "område") are known. English words are naturally absent from a
    Norwegian corpus, so an English question has no unknown terms.
    """
    if language != "nb":
        return []
    unknown = []
    for stem in stems:
        if len(stem) < 4 or stem in stem_vocabulary or stem in _ASKING_STEMS:
            continue
        if stem in prefixes or _compound_of_known(stem, words, stem_vocabulary):
            continue
        if _inflection_of_known(stem, words, stem_vocabulary):
            continue
        unknown.append(stem)
    return unknown


# Bokmål adjectives take -t (neuter: "et psykososialt tilbud") and -e (plural and definite:
# "psykososiale"); the Norwegian Snowball stemmer keeps both, so "psykososialt" is not a
# prefix of the corpus's "psykososial". A base of at least four letters.
_ADJECTIVE_ENDINGS = ("t", "e")


def _inflection_of_known(stem: str, words: set[str], stems: set[str] | dict[str, Any]) -> bool:
    for ending in _ADJECTIVE_ENDINGS:
        base = stem[: -len(ending)]
        if stem.endswith(ending) and len(base) >= 4 and (base in words or base in stems):
            return True
    return False


def _compound_of_known(stem: str, words: set[str], stems: set[str] | dict[str, Any]) -> bool:
    for i in range(3, len(stem) - 2):
        left, right = stem[:i], stem[i:]
        left_known = left in words or (left[-1] in "se" and left[:-1] in words)
        if left_known and (right in stems or right in words):
            return True
    return False


@dataclass(frozen=True)
class JudgedModel:
    """The reader's estimate combined with the LLM judge's log-odds (``answer.judge=llm``).

    P(answerable) = sigmoid(intercept + reader * logit(p_reader) + judge * log_odds), fitted
    on the dev split by ``python bench/calibrate_judge.py`` (``judged_model.json``).
    """

    reader: float
    judge: float
    intercept: float
    threshold: float
    provenance: dict[str, Any]

    def probability(self, reader_probability: float, log_odds: float) -> float:
        p = min(max(reader_probability, 1e-6), 1 - 1e-6)
        z = self.intercept + self.reader * math.log(p / (1 - p)) + self.judge * log_odds
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_judged_model() -> JudgedModel | None:
    """The fitted reader + judge combination, or None when it has not been fitted."""
    path = resources.files("assistant.answer").joinpath(JUDGED_MODEL_FILE)
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return JudgedModel(
        reader=float(data["reader"]),
        judge=float(data["judge"]),
        intercept=float(data["intercept"]),
        threshold=float(data["threshold"]),
        provenance=dict(data.get("provenance", {})),
    )
