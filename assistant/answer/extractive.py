"""Extractive answering: pick the sentences that answer, compose a short answer.

Offline and deterministic. Every sentence unit of the retrieved chunks is
scored against the question (its precomputed embedding against the query
embedding, plus the share of the question's stems it contains). The best
units become verbatim quotes, cited ``[n]``. When the question asks which
goal ("hvilket tiårsmål …", "which goal …") or names one ("tiårsmål 13"),
a lead sentence names the goal, its title and målområde from the goal
registry, cited with the goal's heading. When the quotes come from more than
one document, each is attributed with its document and date, so the 2013
strategy and the 2025–2035 strategy are never silently mixed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from assistant.answer.leads import GoalLeads
from assistant.answer.models import Citation, Language
from assistant.index.bm25 import NorwegianAnalyzer
from assistant.index.store import LoadedIndex
from assistant.retrieval.hybrid import ScoredChunk

LEXICAL_WEIGHT = 0.15
MARGIN = 0.035


@dataclass
class Candidate:
    unit: int
    chunk: ScoredChunk
    start: int
    end: int
    score: float
    dense: float
    lexical: float


@dataclass
class Composition:
    text: str
    citations: list[Citation]
    candidates: list[Candidate]


class ExtractiveAnswerer:
    """Composes answers from the index's sentence units."""

    def __init__(self, index: LoadedIndex, max_citations: int = 3):
        self.index = index
        self.max_citations = max_citations
        self.analyzer = NorwegianAnalyzer()
        self.leads = GoalLeads(index)
        self._units_by_chunk: dict[str, list[int]] = {}
        self._unit_stems: dict[int, set[str]] = {}
        self._quote_end: dict[int, int] = {}  # where a unit's quote ends (lists, "Disse …")
        df: dict[str, int] = {}
        for i, unit in enumerate(index.sentences):
            chunk = index.chunks[unit.chunk]
            doc = index.documents[chunk.document_id]
            section = doc.section_at(unit.start)
            if section is not None and unit.end <= section.body_start:
                continue  # a heading is context for its sentences, not an answer by itself
            self._units_by_chunk.setdefault(chunk.id, []).append(i)
            limit = section.end if section else chunk.end
            end = _extend_list(doc.text, unit.start, unit.end, limit)
            self._quote_end[i] = _extend_reference(doc.text, end, limit)
            stems = set(self.analyzer(doc.text[unit.start : unit.end]))
            self._unit_stems[i] = stems
            for stem in stems:
                df[stem] = df.get(stem, 0) + 1
        self.words: set[str] = set()
        for document in index.documents.values():
            self.words.update(w.lower() for w in re.findall(r"\w+", document.text))
        total = max(len(index.sentences), 1)
        self.idf_table = {stem: math.log(1 + total / n) for stem, n in df.items()}
        self.unknown_idf = math.log(1 + total)

    def idf(self, stem: str) -> float:
        return self.idf_table.get(stem, self.unknown_idf)

    def candidates(
        self,
        question: str,
        query_vectors: np.ndarray,
        hits: list[ScoredChunk],
        language: Language = "nb",
    ) -> list[Candidate]:
        """Sentence units of the hits, best first.

        Word overlap counts only for Norwegian questions: English words that happen
        to occur in the Norwegian text ("Cancer Centre") would mislead it.
        """
        stems = set(self.analyzer(question)) if language == "nb" else set()
        weight = sum(self.idf(s) for s in stems)
        out: list[Candidate] = []
        for hit in hits:
            for u in self._units_by_chunk.get(hit.chunk.id, []):
                unit = self.index.sentences[u]
                dense = float(np.max(self.index.sentence_vectors[u] @ query_vectors.T))
                matched = stems & self._unit_stems[u]
                lexical = sum(self.idf(s) for s in matched) / weight if weight else 0.0
                end = self._quote_end[u]
                score = dense + LEXICAL_WEIGHT * lexical + 0.01 / hit.rank
                out.append(Candidate(u, hit, unit.start, end, score, dense, lexical))
        out.sort(key=lambda c: -c.score)
        return out

    def select(self, candidates: list[Candidate], limit: int) -> list[Candidate]:
        """The best candidates within a margin of the best, one per document first."""
        if not candidates:
            return []
        best = candidates[0].score
        close = [c for c in candidates if c.score >= best - MARGIN]
        chosen: list[Candidate] = []
        seen_docs: set[str] = set()
        for c in close:  # the best of each document whose evidence is close to the best
            if c.chunk.chunk.document_id not in seen_docs:
                chosen.append(c)
                seen_docs.add(c.chunk.chunk.document_id)
        for c in close:
            if len(chosen) >= limit:
                break
            if c not in chosen and not any(_overlaps(c, o) for o in chosen):
                chosen.append(c)
        return chosen[:limit]

    def compose(
        self,
        question: str,
        query_vectors: np.ndarray,
        hits: list[ScoredChunk],
        language: Language,
        context: str | None = None,
    ) -> Composition:
        """Answer text with [n] markers and its citations.

        ``context`` is the standalone form of a follow-up question; a goal it names
        is used when the new question asks for a goal.
        """
        candidates = self.candidates(question, query_vectors, hits, language)
        citations: list[Citation] = []
        parts: list[str] = []
        lead = self.leads.lead(question, context or question, hits, language)
        if lead is None:
            lead = self.leads.location(candidates, language)
        if lead is not None:
            text, citation = lead
            citations.append(citation)
            parts.append(f"{text} [{citation.n}]")
        limit = self.max_citations - len(citations)
        rest = [c for c in candidates if not any(_same_span(c, cit) for cit in citations)]
        chosen = self.select(rest, max(limit, 1))
        multi_doc = len({c.chunk.chunk.document_id for c in chosen}) > 1
        for c in chosen:
            if any(_same_span(c, cit) for cit in citations):
                continue
            citation = self._citation(len(citations) + 1, c.chunk, c.start, c.end, c.score)
            citations.append(citation)
            quote = citation.quote.replace("\n", " ")
            if multi_doc:
                doc = self.index.documents[citation.document_id]
                when = doc.meta.date or "u.d."
                prefix = "In" if language == "en" else "I"
                parts.append(f"{prefix} «{doc.title}» ({when}): {quote} [{citation.n}]")
            else:
                parts.append(f"{quote} [{citation.n}]")
        return Composition("\n\n".join(parts), citations, candidates)

    def nearest(
        self, candidates: list[Candidate], hits: list[ScoredChunk], limit: int = 3
    ) -> list[Citation]:
        """Citations of the nearest passages, shown with an abstention."""
        citations: list[Citation] = []
        used: set[str] = set()
        for c in candidates:
            if c.chunk.chunk.id in used:
                continue
            used.add(c.chunk.chunk.id)
            citations.append(self._citation(len(citations) + 1, c.chunk, c.start, c.end, c.score))
            if len(citations) >= limit:
                break
        return citations

    def _citation(self, n: int, hit: ScoredChunk, start: int, end: int, score: float) -> Citation:
        doc = self.index.documents[hit.chunk.document_id]
        section = doc.section_at(start)
        return Citation(
            n=n,
            document_id=doc.id,
            title=doc.title,
            section=section.path_text if section else hit.chunk.section,
            page=doc.page_at(start),
            quote=doc.text[start:end],
            start=start,
            end=end,
            score=round(score, 4),
        )


def _extend_list(text: str, start: int, end: int, limit: int, max_chars: int = 1200) -> int:
    """A unit that introduces a list ("… er:") is quoted together with the list items."""
    if not text[start:end].rstrip().endswith(":"):
        return end
    position = end
    for line in re.finditer(r"\n+([^\n]+)", text[end:limit]):
        item = line.group(1)
        if (
            not re.match(r"[•·▪◦*–-]\s|\d+\.\s", item)
            and line.start() > 0
            and "\n\n" in line.group(0)
        ):
            break
        if end + line.end() - start > max_chars:
            break
        position = end + line.end()
    return position


_CONTINUES = re.compile(
    r"[ \n]*(?:[–-]\s*)?(Disse|Dette|Denne|Den|De|Det|Slike|Her|Der|These|This|It|They)\b"
)
_NEXT_SENTENCE = re.compile(r"[^\n]*?[.!?](?=\s|$)")


def _extend_reference(text: str, end: int, limit: int, max_chars: int = 400) -> int:
    """Take the next sentence along when it points back ("Disse er …", "Den forvaltes av …")."""
    match = _CONTINUES.match(text, end, limit)
    if match is None or "\n\n" in text[end : match.start(1)]:
        return end
    sentence = _NEXT_SENTENCE.match(text, match.start(1), limit)
    if sentence is None or sentence.end() - end > max_chars:
        return end
    return sentence.end()


def _overlaps(a: Candidate, b: Candidate) -> bool:
    return (
        a.chunk.chunk.document_id == b.chunk.chunk.document_id
        and a.start < b.end
        and b.start < a.end
    )


def _same_span(c: Candidate, citation: Citation) -> bool:
    return (
        c.chunk.chunk.document_id == citation.document_id
        and c.start < citation.end
        and citation.start < c.end
    )
