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

from assistant.answer.models import Citation, Language
from assistant.index.bm25 import NorwegianAnalyzer
from assistant.index.store import LoadedIndex
from assistant.ingest.goals import Malomrade, Tiarsmal
from assistant.retrieval.hybrid import ScoredChunk

_GOAL_QUESTION = re.compile(
    r"\b(hvilke[tn]?|which|what|under hva)\b.*"
    r"(tiårsmål|\bmål\b|\bgoals?\b|områd|\bareas?\b)",
    re.IGNORECASE,
)
_AREA_QUESTION = re.compile(r"(områd\w*|\bfocus areas?|\btarget areas?|\bareas?\b)", re.IGNORECASE)
_TEN_YEAR = re.compile(r"tiårsmål|ten-year", re.IGNORECASE)
_GOAL_REF = re.compile(r"\b(tiårsmål|ten-year goal|goal)\s*(?:nr\.?\s*)?(\d{1,2})\b", re.IGNORECASE)
_AREA_REF = re.compile(r"\b(målområde|focus area|area)\s*(?:nr\.?\s*)?(\d)\b", re.IGNORECASE)

LEXICAL_WEIGHT = 0.15
LEAD_CANDIDATES = 5
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


def goal_reference(question: str) -> tuple[str, int] | None:
    """('tiarsmal', n) or ('malomrade', n) when the question names one by number."""
    if m := _GOAL_REF.search(question):
        return "tiarsmal", int(m.group(2))
    if m := _AREA_REF.search(question):
        return "malomrade", int(m.group(2))
    return None


class ExtractiveAnswerer:
    """Composes answers from the index's sentence units."""

    def __init__(self, index: LoadedIndex, max_citations: int = 3):
        self.index = index
        self.max_citations = max_citations
        self.analyzer = NorwegianAnalyzer()
        self._units_by_chunk: dict[str, list[int]] = {}
        self._unit_stems: dict[int, set[str]] = {}
        df: dict[str, int] = {}
        for i, unit in enumerate(index.sentences):
            chunk = index.chunks[unit.chunk]
            section = index.documents[chunk.document_id].section_at(unit.start)
            if section is not None and unit.end <= section.body_start:
                continue  # a heading is context for its sentences, not an answer by itself
            self._units_by_chunk.setdefault(chunk.id, []).append(i)
            stems = set(
                self.analyzer(index.documents[chunk.document_id].text[unit.start : unit.end])
            )
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
            doc = self.index.documents[hit.chunk.document_id]
            for u in self._units_by_chunk.get(hit.chunk.id, []):
                unit = self.index.sentences[u]
                dense = float(np.max(self.index.sentence_vectors[u] @ query_vectors.T))
                matched = stems & self._unit_stems[u]
                lexical = sum(self.idf(s) for s in matched) / weight if weight else 0.0
                section = doc.section_at(unit.start)
                limit = section.end if section else hit.chunk.end
                end = _extend_list(doc.text, unit.start, unit.end, limit)
                end = _extend_reference(doc.text, end, limit)
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
        lead = self._lead(question, context or question, hits, language)
        if lead is None:
            lead = self._location_lead(candidates, language)
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

    def _lead(
        self,
        question: str,
        context: str,
        hits: list[ScoredChunk],
        language: Language,
    ) -> tuple[str, Citation] | None:
        """A sentence naming the goal the question asks about or names, from the registry."""
        goals = self.index.goals
        asks = bool(_GOAL_QUESTION.search(question))
        ref = goal_reference(question) or (goal_reference(context) if asks else None)
        goal: Tiarsmal | None = None
        area: Malomrade | None = None
        wants_area = bool(_AREA_QUESTION.search(question)) and not _TEN_YEAR.search(question)
        if ref is not None:
            kind, number = ref
            if kind == "tiarsmal":
                goal = goals.goal(number)
            else:
                area = goals.malomrade(number)
        elif asks:
            goal_number = _best_by(hits, "tiarsmal")
            goal = goals.goal(goal_number) if goal_number else None
            area_number = _best_by(hits, "malomrade")
            if wants_area and area_number:
                area = goals.malomrade(area_number)
        if goal is not None:
            parent = goals.malomrade(goal.malomrade) if goal.malomrade else None
            return self._goal_lead(goal, parent, language, focus_area=wants_area)
        if area is not None:
            return self._area_lead(area, language)
        return None

    def _location_lead(
        self, candidates: list[Candidate], language: Language
    ) -> tuple[str, Citation] | None:
        """When the best two quotes sit under one tiårsmål, say which (orients the reader)."""
        top = [c for c in candidates[:2] if c.chunk.chunk.tiarsmal]
        if len(top) < 2 or top[0].chunk.chunk.tiarsmal != top[1].chunk.chunk.tiarsmal:
            return None
        goal = self.index.goals.goal(top[0].chunk.chunk.tiarsmal or 0)
        if goal is None:
            return None
        citation = self._heading_citation(goal.document_id, goal.start, goal.end)
        if language == "en":
            text = (
                f"The strategy addresses this under ten-year goal {goal.number} "
                f"(Tiårsmål {goal.number}) – {goal.title}."
            )
        else:
            text = f"Strategien omtaler dette under Tiårsmål {goal.number} – {goal.title}."
        return text, citation

    def _heading_citation(self, document_id: str, start: int, end: int) -> Citation:
        doc = self.index.documents[document_id]
        heading_end = doc.text.find("\n\n", start, end)
        heading_end = heading_end if heading_end > 0 else min(end, start + 200)
        section = doc.section_at(start)
        return Citation(
            n=1,
            document_id=doc.id,
            title=doc.title,
            section=section.path_text if section else "",
            page=doc.page_at(start),
            quote=doc.text[start:heading_end],
            start=start,
            end=heading_end,
            score=1.0,
        )

    def _goal_lead(
        self, goal: Tiarsmal, parent: Malomrade | None, language: Language, focus_area: bool
    ) -> tuple[str, Citation]:
        citation = self._heading_citation(goal.document_id, goal.start, goal.end)
        area = f"målområde {parent.number}: {parent.title}" if parent else ""
        if language == "en":
            text = f"Ten-year goal {goal.number} (Tiårsmål {goal.number}) – {goal.title}"
            text += f" (under {area})." if area else "."
        elif focus_area and parent:
            text = (
                f"Målområde {parent.number} – {parent.title}; "
                f"tiårsmålet er Tiårsmål {goal.number} – {goal.title}."
            )
        else:
            text = f"Tiårsmål {goal.number} – {goal.title}"
            text += f" ({area})." if area else "."
        return text, citation

    def _area_lead(self, area: Malomrade, language: Language) -> tuple[str, Citation]:
        citation = self._heading_citation(area.document_id, area.start, area.end)
        listed = "; ".join(
            f"Tiårsmål {g.number} – {g.title}" for g in self.index.goals.goals_in(area.number)
        )
        if language == "en":
            text = f"Focus area {area.number} (Målområde {area.number}) – {area.title}."
            text += f" Its ten-year goals: {listed}." if listed else ""
        else:
            text = f"Målområde {area.number} – {area.title}."
            text += f" Tiårsmålene under det: {listed}." if listed else ""
        return text, citation


def _best_by(hits: list[ScoredChunk], attr: str) -> int | None:
    """The goal (or målområde) number the retrieved chunks point to most.

    Each number collects 1/rank from every hit in its section: the chunk ranking
    sees a chunk's section path and title, so it is steadier than single sentences.
    """
    scores: dict[int, float] = {}
    for hit in hits:
        number = getattr(hit.chunk, attr)
        if number:
            scores[number] = scores.get(number, 0.0) + 1.0 / hit.rank
    return max(scores, key=lambda n: scores[n]) if scores else None


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
