"""Lead sentences: name the goal a question asks about, from the goal registry.

When a question asks which goal ("hvilket tiårsmål …", "which goal …") or names
one ("tiårsmål 13", "målområde 3"), the answer opens with the goal's number,
title and målområde, cited with the goal's heading in the strategy. When the
best quotes sit under one tiårsmål, a shorter lead says where in the strategy
the answer is.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from assistant.answer.models import Citation, Language
from assistant.index.store import LoadedIndex
from assistant.ingest.goals import Malomrade, Tiarsmal
from assistant.retrieval.hybrid import ScoredChunk

if TYPE_CHECKING:
    from assistant.answer.candidate import Candidate

_GOAL_QUESTION = re.compile(
    r"\b(hvilke[tn]?|which|what|under hva)\b.*"
    r"(tiårsmål|\bmål\b|\bgoals?\b|områd|\bareas?\b)",
    re.IGNORECASE,
)
_AREA_QUESTION = re.compile(r"(områd\w*|\bfocus areas?|\btarget areas?|\bareas?\b)", re.IGNORECASE)
_TEN_YEAR = re.compile(r"tiårsmål|ten-year", re.IGNORECASE)
_GOAL_REF = re.compile(r"\b(tiårsmål|ten-year goal|goal)\s*(?:nr\.?\s*)?(\d{1,2})\b", re.IGNORECASE)
_AREA_REF = re.compile(r"\b(målområde|focus area|area)\s*(?:nr\.?\s*)?(\d)\b", re.IGNORECASE)


def goal_reference(question: str) -> tuple[str, int] | None:
    """('tiarsmal', n) or ('malomrade', n) when the question names one by number."""
    if m := _GOAL_REF.search(question):
        return "tiarsmal", int(m.group(2))
    if m := _AREA_REF.search(question):
        return "malomrade", int(m.group(2))
    return None


class GoalLeads:
    """Builds lead sentences from an index's goal registry."""

    def __init__(self, index: LoadedIndex):
        self.index = index

    def lead(
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

    def location(
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
