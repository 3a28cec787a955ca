"""The answer service: question (+ history, filters) → grounded answer with citations.

Retrieval is hybrid; answering is extractive by default (offline,
deterministic) or generative through an OpenAI-compatible LLM whose every
sentence is verified against the quotes it cites. When the evidence is too
weak the service abstains and shows the nearest passages instead.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import re
import time
from collections.abc import Callable, Iterator
from typing import get_args

import numpy as np

from assistant.answer.abstention import (
    AbstentionFeatures,
    AbstentionModel,
    constraint_miss,
    load_judged_model,
    load_model,
    unknown_entity,
    unknown_terms,
    unknown_year,
    words_and_prefixes,
)
from assistant.answer.candidate import Candidate
from assistant.answer.conversation import resolve
from assistant.answer.dated import DocumentDates
from assistant.answer.extractive import Composition, ExtractiveAnswerer
from assistant.answer.forms import CHECKABLE, FAR, unanswered_precision, unanswered_tense
from assistant.answer.judge import AnswerabilityJudge
from assistant.answer.leads import goal_reference
from assistant.answer.learned import LearnedReader, corpus_hash, load_learned_reader
from assistant.answer.models import Answer, Citation, Timings, Turn
from assistant.answer.question import ANSWER_TYPES, QuestionAnalysis, analyse
from assistant.answer.replies import (
    ABSTAIN_TEXT,
    JUDGE_DOWN_TEXT,
    NEAREST_TEXT,
    NO_GOAL_TEXT,
    help_text,
    out_of_scope_text,
)
from assistant.answer.roles import unnamed_organisation
from assistant.answer.scope import CorpusLexicon, ScopeDecision, ScopeGuard, ScopeModel
from assistant.answer.utterance import MessageForm, looks_like_question
from assistant.components.llm import ChatModel
from assistant.index.store import LoadedIndex
from assistant.language import Language, detect_language
from assistant.retrieval.hybrid import Filters, HybridRetriever, ScoredChunk
from assistant.settings import AnswerMode, AnswerSettings

MODES: tuple[str, ...] = get_args(AnswerMode)
ANSWER_TYPE_CODES = {t: i for i, t in enumerate(ANSWER_TYPES)}


class QuestionError(ValueError):
    """The question cannot be answered as asked (empty, too long); the message says why."""


class QuestionTooLongError(QuestionError):
    """The question is longer than the service accepts (``length`` > ``limit`` characters)."""

    def __init__(self, length: int, limit: int):
        super().__init__(f"The question is {length} characters; the limit is {limit}. Shorten it.")
        self.length = length
        self.limit = limit


class ModeUnavailableError(RuntimeError):
    """The requested answer mode is not configured; the message says how to configure it."""


class AnswerService:
    """Answers questions over the index; safe to share between threads."""

    def __init__(
        self,
        index: LoadedIndex,
        retriever: HybridRetriever,
        settings: AnswerSettings,
        chat_model: ChatModel | None = None,
        max_question_chars: int = 1000,
        abstention: AbstentionModel | None = None,
        judge: AnswerabilityJudge | None = None,
        scope_model: ScopeModel | None = None,
    ):
        self.index = index
        self.retriever = retriever
        self.settings = settings
        self.chat_model = chat_model
        self.max_question_chars = max_question_chars
        self.extractive = ExtractiveAnswerer(index, settings.max_citations)
        self.dated = DocumentDates(index.documents.values())
        self.abstention = abstention or load_model()
        reader = self.extractive
        lexicon = CorpusLexicon(
            reader.words, reader.word_prefixes, index.bm25.vocabulary, reader.analyzer
        )
        self.scope = ScopeGuard(
            index, retriever.embedder, lexicon, retriever.sentence_search, scope_model
        )
        self.learned: LearnedReader | None = None
        self.learned_notice: str | None = None
        if settings.reader == "learned":
            self.learned, self.learned_notice = load_learned_reader(
                settings.reader_dir, settings.reader_precision, settings.reader_score_cache
            )
            if self.learned is not None and self.learned.trained_on != corpus_hash(index):
                self.learned_notice = (
                    f"the reader model {self.learned.name} was trained on another version of "
                    "the corpus: run `assistant reader data` and `assistant reader train` again"
                )
        self.judge = judge
        self.judged = load_judged_model() if judge is not None else None
        self.threshold = (
            settings.abstain_threshold
            if settings.abstain_threshold is not None
            else self.abstention.threshold
        )

    def reader_status(self) -> dict[str, str | None]:
        """Which reader answers, the model and the corpus it was trained on, and the corpus."""
        learned = self.learned
        return {
            "reader": "learned" if learned is not None else "extractive",
            "model": learned.name if learned is not None else None,
            "trained_on": learned.trained_on if learned is not None else None,
            "corpus": corpus_hash(self.index),
        }

    def with_chat_model(self, chat_model: ChatModel | None) -> AnswerService:
        """The same service (sharing index, retriever and composer) with another LLM."""
        other = copy.copy(self)
        other.chat_model = chat_model
        return other

    def answer(
        self,
        question: str,
        history: list[Turn] | None = None,
        filters: Filters | None = None,
        mode: str | None = None,
    ) -> Answer:
        """Answer one question. Raises QuestionError, FilterError or ModeUnavailableError."""
        began = time.perf_counter()
        question = self._check(question)
        mode = mode or self.settings.mode
        if mode not in MODES:
            raise QuestionError(f"Unknown mode '{mode}'. Use one of: {', '.join(MODES)}.")
        if mode == "llm" and self.chat_model is None:
            raise ModeUnavailableError(
                "llm mode needs an OpenAI-compatible endpoint: set ASSISTANT_LLM__BASE_URL "
                "and ASSISTANT_LLM__MODEL (or use mode 'extractive')."
            )
        if filters is not None and not filters.is_empty():
            self.retriever.validate(filters)  # a bad filter is an error whatever is asked
        language = detect_language(question)
        ruled = self.scope.form(question)
        if ruled is not None:
            return self._out_of_scope(ruled, question, language, mode, began, None)
        resolution = resolve(question, history or [])
        standalone = resolution.text
        # a follow-up reframed around a new subject is a question of its own: read it as one
        asked = standalone if resolution.reframed else question
        condensed: dict[str, float] = {}
        if mode == "llm" and self.chat_model is not None and standalone != asked:
            standalone, condensed["condensed"] = self._condense(
                question, history or [], language, standalone
            )
        texts = [asked] if standalone == asked else [asked, standalone]
        scoped = analyse(standalone, language)
        looked_up = self.scope.words_to_embed(scoped)  # in the question's e5 call: one pass
        vectors = self.retriever.embedder.embed_queries(texts + looked_up)
        self.scope.keep(looked_up, vectors[len(texts) :])
        vectors = vectors[: len(texts)]
        hits = self.retrieve(
            standalone, filters=filters, query_vector=vectors[-1], language=language
        )
        retrieved = time.perf_counter()
        decision = self.scope.decide(scoped, vectors[-1], hits)
        if not decision.in_scope:
            return self._out_of_scope(decision, question, language, mode, began, standalone)

        analysis = self._analyse(asked, standalone, language)
        learned: dict[str, float] = {}
        model = self.learned
        eager = model is not None and not model.reads_lazily
        rerank = self._reranker(asked, learned) if eager else None
        # a question asking what a document of a date says is read in that document
        asked_of = self.dated.asked_of(standalone)
        in_document = [h for h in hits if h.chunk.document_id in asked_of] or hits
        composition = self.extractive.compose(
            asked, vectors, in_document, language, standalone, analysis, rerank
        )
        signals = self._features(analysis, standalone, composition)
        probability = self.abstention.probability(signals)
        threshold = self.threshold
        words = self.extractive.words
        scope = (
            unknown_year(analysis, words)
            or unknown_entity(analysis, words, self.extractive.word_prefixes)
            or self._unknown_goal(asked)
            or unnamed_organisation(analysis, (c.quote for c in composition.citations))
            or self.dated.unquoted(standalone, (c.document_id for c in composition.citations))
            or unanswered_precision(standalone, [c.quote for c in composition.citations])
            or unanswered_tense(standalone, [c.quote for c in composition.citations])
            or ("no goal's section holds the question's focus" if composition.no_goal else None)
        )
        # "Hva er målområde 3?": the goal registry's lead is the whole answer
        registry = scope is None and self.extractive.leads.defines(asked, analysis)
        if model is not None:
            calibration, english = model.calibration, language == "en"
            # a threshold set by hand wins over the calibration's
            hand = self.settings.abstain_threshold
            learned_threshold = calibration.threshold if hand is None else self.threshold
            if not eager and scope is None and hits and not registry:
                # the model is read only where its logit decides, and only as far as it must
                reader_probability = probability
                read = model.read(
                    self.index,
                    asked,
                    composition.candidates,
                    lambda logit: (
                        calibration.probability(reader_probability, round(logit, 4), english)
                        >= learned_threshold
                    ),
                )
                if read is not None:
                    learned["learned"], learned["learned_units"] = round(read[0], 4), read[1]
            if "learned" in learned:
                learned["reader_probability"] = round(probability, 4)
                probability = calibration.probability(probability, learned["learned"], english)
                threshold = learned_threshold
        notice = None
        faithfulness: float | None = None
        generated: dict[str, float] = {}
        judged: dict[str, float] = {}
        if self.judge is not None and scope is None and hits:
            quotes = [c.quote for c in composition.citations[:3]]
            log_odds = self.judge.score(asked, quotes)
            if log_odds is None:
                notice = JUDGE_DOWN_TEXT[language]
            else:
                judged["judge"] = round(log_odds, 4)
                if self.judged is not None:
                    # the judge's combination was fitted on the hand-made reader's estimate
                    reader_probability = learned.get("reader_probability", probability)
                    probability = self.judged.probability(reader_probability, log_odds)
                    threshold = self.judged.threshold
        if composition.no_goal:
            text, citations, abstained = NO_GOAL_TEXT[language], [], True
        elif scope is not None or not hits or (probability < threshold and not registry):
            text = (
                f"{ABSTAIN_TEXT[language]} {NEAREST_TEXT[language]}"
                if hits
                else ABSTAIN_TEXT[language]
            )
            citations = self.extractive.nearest(composition.candidates, hits)
            abstained = True
        else:
            text, citations, abstained = composition.text, composition.citations, False
            if mode == "llm":
                from assistant.answer.generative import generate_verified

                # the writer sees no history: it gets the model's standalone question if any
                result = generate_verified(
                    self.chat_model,  # type: ignore[arg-type]
                    standalone if condensed.get("condensed") else asked,
                    language,
                    composition.candidates,
                    self.extractive,
                    self.retriever.embedder,
                )
                # only a generated answer has a faithfulness; an unreachable LLM has none
                faithfulness = result.faithfulness if result.raw else None
                if result.raw:  # 1.0: the verified generation is the answer; 0.0: fell back
                    generated["generated"] = float(result.accepted)
                if result.accepted:
                    text, citations = result.text, result.citations
                else:
                    notice = result.notice
        done = time.perf_counter()
        return Answer(
            answer=text,
            abstained=abstained,
            language=language,
            mode=mode,
            citations=citations,
            timings_ms=Timings(
                retrieve=round((retrieved - began) * 1000, 2),
                answer=round((done - retrieved) * 1000, 2),
                total=round((done - began) * 1000, 2),
            ),
            notice=notice,
            standalone_question=standalone if standalone != question else None,
            signals={
                **signals.as_dict(),
                "probability": round(probability, 4),
                "answer_type": float(ANSWER_TYPE_CODES[analysis.answer_type]),
                "out_of_scope": float(scope is not None),
                "registry": float(registry),
                **_scope_signals(decision),
                **judged,
                **learned,
                **({"faithfulness": round(faithfulness, 4)} if faithfulness is not None else {}),
                **generated,
                **condensed,
            },
        )

    def _out_of_scope(
        self,
        decision: ScopeDecision,
        question: str,
        language: Language,
        mode: str,
        began: float,
        standalone: str | None,
    ) -> Answer:
        """The answer to a message the documents cannot answer: no quotes, no lead.

        Small talk, instructions, requests and noise get the help text; a question about
        something the documents do not speak of gets the abstention that says so.
        """
        chat = decision.form != "question" or not looks_like_question(question)
        text = help_text(self.index, language) if chat else out_of_scope_text(self.index, language)
        elapsed = round((time.perf_counter() - began) * 1000, 2)
        return Answer(
            answer=text,
            abstained=True,
            language=language,
            mode=mode,
            citations=[],
            timings_ms=Timings(retrieve=elapsed, answer=0.0, total=elapsed),
            standalone_question=standalone if standalone and standalone != question else None,
            signals={"out_of_scope": 1.0, **_scope_signals(decision)},
        )

    def stream(
        self,
        question: str,
        history: list[Turn] | None = None,
        filters: Filters | None = None,
        mode: str | None = None,
    ) -> Iterator[str | Answer]:
        """Yield the answer text in pieces, then the final :class:`Answer`.

        The text is verified before any of it is sent, so a client never shows
        a sentence that is later withdrawn.
        """
        result = self.answer(question, history=history, filters=filters, mode=mode)
        yield from re.findall(r"\S+\s*|\s+", result.answer)
        yield result

    def _reranker(
        self, question: str, learned: dict[str, float]
    ) -> Callable[[list[Candidate]], list[Candidate]]:
        """Re-rank candidates with the learned reader; its best logit goes into ``learned``.

        A scored unit's score becomes the reader's score + ``rank_weight`` · its logit
        (fitted on dev: the model breaks the reader's near-ties, it does not overrule it).
        """
        assert self.learned is not None
        reader = self.learned

        def rerank(candidates: list[Candidate]) -> list[Candidate]:
            ranked = reader.rank(self.index, question, candidates)
            if not ranked:
                return candidates
            learned["learned"] = round(ranked[0][1], 4)
            weight = reader.calibration.rank_weight
            logits = {id(c): s for c, s in ranked}
            rescored = [
                dataclasses.replace(c, score=c.score + weight * logits[id(c)])
                if id(c) in logits
                else c
                for c in candidates
            ]
            return sorted(rescored, key=lambda c: -c.score)

        return rerank

    def _condense(
        self, question: str, history: list[Turn], language: Language, resolved: str
    ) -> tuple[str, float]:
        """llm mode: the model's standalone question if it keeps the extractive resolution.

        Returns the question to answer and 1.0 when it is the model's, 0.0 when the
        extractive resolution ``resolved`` stands (the model failed, or its rewrite did not
        pass ``condense.keeps_resolution``).
        """
        from assistant.answer.condense import condense_question, keeps_resolution

        assert self.chat_model is not None
        condensed = condense_question(self.chat_model, question, history, language)
        if condensed is None or not keeps_resolution(
            condensed, question, history, self.extractive.analyzer
        ):
            return resolved, 0.0
        return condensed, 1.0

    def _check(self, question: str) -> str:
        if not isinstance(question, str) or not question.strip():
            raise QuestionError(
                "The question is empty. Write a question, e.g. 'Hva er tiårsmål 2?'."
            )
        if len(question) > self.max_question_chars:
            raise QuestionTooLongError(len(question), self.max_question_chars)
        return question.strip()

    def retrieve(
        self,
        query: str,
        k: int | None = None,
        filters: Filters | None = None,
        query_vector: np.ndarray | None = None,
        language: Language | None = None,
    ) -> list[ScoredChunk]:
        """The chunks answering draws on (``retrieval.top_k`` by default).

        A goal named by number brings its own chunks first; so does a document named by
        its date (`DocumentDates`).

        The ranking depends on the language (see `HybridRetriever.search`).
        """
        k = k or self.retriever.settings.top_k
        ref = goal_reference(query)
        documents = self.dated.named(query) if ref is None else []
        if ref is None and not documents:
            return self.retriever.search(
                query, k=k, filters=filters, query_vector=query_vector, language=language
            )
        ranked = self.retriever.search(
            query, k=max(40, k), filters=filters, query_vector=query_vector, language=language
        )
        if ref is not None:  # the goal's best three, then other sections' chunks
            kind, number = ref
            attr = "tiarsmal" if kind == "tiarsmal" else "malomrade"
            named = [h for h in ranked if getattr(h.chunk, attr) == number]
            rest = [h for h in ranked if getattr(h.chunk, attr) != number]
            ordered = (named[:3] + rest)[:k]
        else:  # the document's best three, then the rest as ranked
            # round the named documents in the order named: each one's best chunk first
            queues = [[h for h in ranked if h.chunk.document_id == d] for d in documents]
            first = [h for row in itertools.zip_longest(*queues) for h in row if h][:3]
            chosen = {h.chunk.id for h in first}
            ordered = (first + [h for h in ranked if h.chunk.id not in chosen])[:k]
        for rank, hit in enumerate(ordered, start=1):
            hit.rank = rank
        return ordered

    def _analyse(self, question: str, standalone: str, language: Language) -> QuestionAnalysis:
        """The question's analysis; a follow-up borrows the focus of the conversation."""
        analysis = analyse(question, language)
        if standalone == question:
            return analysis
        context = analyse(standalone, language)
        return dataclasses.replace(
            analysis, focus=tuple(dict.fromkeys(analysis.focus + context.focus))
        )

    def _features(
        self, analysis: QuestionAnalysis, standalone: str, composition: Composition
    ) -> AbstentionFeatures:
        """The abstention features of one answer's evidence (see ``abstention``)."""
        reader = self.extractive
        cited = " ".join(f"{c.section}\n{c.quote}" for c in composition.citations)
        for c in composition.citations:
            doc = self.index.documents[c.document_id]
            cited += f"\n{doc.title} {doc.meta.date or ''}"
        evidence_words, evidence_prefixes = words_and_prefixes([cited])
        focus = reader.focus_stems(analysis)
        cited_stems = set(reader.analyzer(cited))
        key = max(sorted(focus), key=reader.idf, default="")
        top = composition.candidates[:5]
        checkable = analysis.answer_type in CHECKABLE
        chosen_spans = {(c.document_id, c.start, c.end) for c in composition.citations}
        chosen = [
            c
            for c in composition.candidates
            if (c.chunk.chunk.document_id, c.start, c.end) in chosen_spans
        ]
        stems = list(dict.fromkeys(reader.analyzer(standalone)))
        unknown = unknown_terms(
            stems, reader.words, reader.word_prefixes, self.index.bm25.vocabulary, analysis.language
        )
        return AbstentionFeatures(
            dense=max((c.dense for c in composition.candidates), default=0.0),
            coverage=reader.coverage(focus, cited_stems),
            form_miss=float(checkable and not any(c.form for c in chosen)),
            distance=(min((c.distance for c in top[:3]), default=FAR) / FAR if checkable else 0.0),
            key_miss=float(bool(key) and key not in cited_stems),
            constraint_miss=constraint_miss(
                analysis, evidence_words, evidence_prefixes, reader.words, reader.word_prefixes
            ),
            unknown=float(min(2, len(unknown))),
        )

    def _unknown_goal(self, question: str) -> str | None:
        """A goal named by a number the strategy does not have ("tiårsmål 19")."""
        ref = goal_reference(question)
        if ref is None:
            return None
        kind, number = ref
        goals = self.index.goals
        known = goals.goal(number) if kind == "tiarsmal" else goals.malomrade(number)
        return None if known is not None else f"there is no {kind} {number}"


SCOPE_FORMS: tuple[str, ...] = get_args(MessageForm)


def _scope_signals(decision: ScopeDecision) -> dict[str, float]:
    """The scope decision as signals: its form, probability and features (``scope_*``)."""
    signals = {"scope_form": float(SCOPE_FORMS.index(decision.form))}
    if decision.probability is not None:
        signals["scope_probability"] = round(decision.probability, 4)
    if decision.features is not None:
        signals.update({f"scope_{k}": round(v, 4) for k, v in decision.features.as_dict().items()})
    return signals


def citations_are_verbatim(index: LoadedIndex, citations: list[Citation]) -> bool:
    """True when every quote is exactly its document's cleaned text at [start, end)."""
    return all(
        c.document_id in index.documents
        and index.documents[c.document_id].text[c.start : c.end] == c.quote
        for c in citations
    )
