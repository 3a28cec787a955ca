"""Lead sentences: name the goal a question asks about, from the goal registry.

When a question asks which goal ("hvilket tiårsmål …", "which goal …") or names
one ("tiårsmål 13", "målområde 3"), the answer opens with the goal's number,
title and målområde, cited with the goal's heading in the strategy. When the
best quotes sit under one tiårsmål, a shorter lead says where in the strategy
the answer is.

A lead sentence is a claim ("the strategy covers this under goal N"), so it is
checked like one (:meth:`GoalLeads.holds_focus`): a goal the question does not name
leads only when that goal's own section holds the question's focus, never as a
fallback. A question asking which goal covers something no goal's section holds gets
no lead at all (and the service says so plainly).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from assistant.answer.models import Citation, Language
from assistant.answer.names import DocumentNames
from assistant.answer.question import QuestionAnalysis, names_structure
from assistant.index.store import LoadedIndex
from assistant.ingest.goals import Malomrade, Tiarsmal
from assistant.retrieval.hybrid import ScoredChunk

_Section = TypeVar("_Section", Tiarsmal, Malomrade)

if TYPE_CHECKING:
    from assistant.answer.candidate import Candidate

# Verbs that say what something is about: a question's frame, not its topic.
_ABOUT_VERBS = (
    "handler handle dekker dekke gjelder gjelde omfatter omfatte dreier angår omhandler "
    "berører sikte "
    # requests to explain are frames too ("Kan du forklare tiårsmål 10?")
    "forklar forklare fortell fortelle beskriv beskrive explain describe tell"
)
# The strategy's areas, by the words that name them: "målområde", "satsingsområde",
# "innsatsområde", "hovedområde", "fokusområde" or a bare "område". Another compound of
# "område" names something else ("fagområder" are disciplines, "ansvarsområder" duties):
# it must not make a question ask which målområde.
_AREA_WORD = r"\b(?:mål|satsings?|innsats|hoved|fokus)?områd\w*"
_GOAL_QUESTION = re.compile(
    r"\b(hvilke[tn]?|which|what|under hva)\b.*"
    rf"(tiårsmål|\bmål\b|\bgoals?\b|{_AREA_WORD}|\bareas?\b)",
    re.IGNORECASE,
)
_AREA_QUESTION = re.compile(
    rf"({_AREA_WORD}|\bfocus areas?|\btarget areas?|\bareas?\b)", re.IGNORECASE
)
_TEN_YEAR = re.compile(r"tiårsmål|ten-year", re.IGNORECASE)
# How one asks what a named goal is: "hva" / "what", or a request to explain or tell.
# "Hvordan går det med tiårsmål 9?" and "Hvem står bak …?" ask something else.
_DEFINITION_FRAME = re.compile(
    r"^\W*(?:og\s+|and\s+)?(?:hva\b|what\b|kan du\b|can you\b|could you\b|"
    r"forklar|fortell|beskriv|explain|describe|tell\b)",
    re.IGNORECASE,
)
_GOES_ABOUT = re.compile(r"\bgår\b.*\but på\b", re.IGNORECASE)  # "Hva går … ut på?"
_GOAL_REF = re.compile(r"\b(tiårsmål|ten-year goal|goal)\s*(?:nr\.?\s*)?(\d{1,2})\b", re.IGNORECASE)
_AREA_REF = re.compile(r"\b(målområde|focus area|area)\s*(?:nr\.?\s*)?(\d)\b", re.IGNORECASE)


def asks_which_goal(question: str) -> bool:
    """Does the question ask which goal or area (of the strategy's structure) something is in?"""
    return bool(_GOAL_QUESTION.search(question))


def goal_reference(question: str) -> tuple[str, int] | None:
    """('tiarsmal', n) or ('malomrade', n) when the question names one by number."""
    if m := _GOAL_REF.search(question):
        return "tiarsmal", int(m.group(2))
    if m := _AREA_REF.search(question):
        return "malomrade", int(m.group(2))
    return None


class GoalLeads:
    """Builds lead sentences from an index's goal registry.

    ``analyzer`` turns text into stems (the reader's), so a goal's section can be
    checked for the question's topic words.
    """

    def __init__(self, index: LoadedIndex, analyzer: Callable[[str], list[str]]):
        self.index = index
        self.analyzer = analyzer
        documents = index.documents
        self._goal_stems = {
            g.number: set(analyzer(documents[g.document_id].text[g.start : g.end]))
            for g in index.goals.tiarsmal
        }
        self._area_stems = {
            m.number: set(analyzer(documents[m.document_id].text[m.start : m.end]))
            for m in index.goals.malomrader
        }
        self._frequency = Counter(s for stems in self._goal_stems.values() for s in stems)
        self._about = set(analyzer(_ABOUT_VERBS))
        self.names = DocumentNames((d.title for d in documents.values()), analyzer)

    def topic_stems(self, analysis: QuestionAnalysis) -> set[str]:
        """The question's topic as stems that tell goals apart.

        The focus without the words for the documents and their structure, without the
        verbs of aboutness ("handler om", "dekker"), without the words of a document's
        name the question quotes ("… har Felles innsats mot kreft?" names the strategy,
        not a topic), and without stems found in more than half of the goals' sections
        ("kreft", "pasient"): those fit every goal.
        """
        words = [w for w in analysis.focus if not names_structure(w)]
        stems = set(self.analyzer(" ".join(words))) - self._about
        stems -= self.names.quoted_stems(analysis.text)
        limit = len(self._goal_stems) / 2
        return {s for s in stems if self._frequency[s] <= limit}

    def holds_focus(
        self, goal: Tiarsmal, analysis: QuestionAnalysis, candidates: list[Candidate]
    ) -> bool:
        """Does the goal's own section hold the question's focus?

        Norwegian: one of the question's topic stems (:meth:`topic_stems`) occurs in
        the section. English words are not in a Norwegian text, so an English question
        is held by the goal whose section holds the reader's best quote, or whose title
        that quote is (:func:`is_title`: the overview box lists the titles).
        """
        if analysis.language == "en":
            return bool(candidates) and (
                candidates[0].chunk.chunk.tiarsmal == goal.number
                or is_title(goal, self._unit_text(candidates[0]))
            )
        return bool(self.topic_stems(analysis) & self._goal_stems.get(goal.number, set()))

    def _unit_text(self, candidate: Candidate) -> str:
        text = self.index.documents[candidate.chunk.chunk.document_id].text
        return text[candidate.start : candidate.end]

    def defines(self, question: str, analysis: QuestionAnalysis) -> bool:
        """The question names an existing goal and asks only what it is.

        "Hva er målområde 3?", "Hva går tiårsmål 16 ut på?", "What is focus area 3?": the
        goal registry answers it whole (number, title, målområde or ten-year goals), so
        the lead is the answer and no estimate of the evidence can refuse it. A question
        with a topic of its own beside the goal ("Hva koster tiårsmål 9?") is not one.
        """
        ref = goal_reference(question)
        if ref is None or not _DEFINITION_FRAME.search(question):
            return False
        kind, number = ref
        goals = self.index.goals
        exists = goals.goal(number) if kind == "tiarsmal" else goals.malomrade(number)
        topic = self.topic_stems(analysis)
        if _GOES_ABOUT.search(question):
            topic -= set(self.analyzer("går"))
        return exists is not None and not topic

    def no_goal_holds(self, analysis: QuestionAnalysis) -> bool:
        """The question names a topic (Norwegian) and no goal's section holds any of it.

        A question with no topic of its own ("Hvilke målområder har strategien?") asks
        about the structure: no absence can be claimed for it.
        """
        topic = self.topic_stems(analysis)
        return bool(topic) and not any(topic & stems for stems in self._goal_stems.values())

    def _only_holder(
        self,
        sections: dict[int, set[str]],
        analysis: QuestionAnalysis,
        get: Callable[[int], _Section | None],
    ) -> _Section | None:
        """Past the retrieved goals: the one section holding the most topic stems, if one."""
        if analysis.language == "en":
            return None
        topic = self.topic_stems(analysis)
        counts = {n: len(topic & stems) for n, stems in sections.items()}
        best = max(counts.values(), default=0)
        winners = [n for n, c in counts.items() if c == best]
        return get(winners[0]) if best > 0 and len(winners) == 1 else None

    def _area_holds(self, area: Malomrade, analysis: QuestionAnalysis) -> bool:
        if analysis.language == "en":
            return False
        return bool(self.topic_stems(analysis) & self._area_stems.get(area.number, set()))

    def lead(
        self,
        question: str,
        context: str,
        hits: list[ScoredChunk],
        language: Language,
        analysis: QuestionAnalysis,
        candidates: list[Candidate],
    ) -> tuple[str, Citation] | None:
        """A sentence naming the goal the question names, or asks for and its section holds.

        A goal found from the hits (not named by number) must hold the question's focus
        (:meth:`holds_focus`); so must a målområde asked for without a goal.
        """
        goals = self.index.goals
        asks = analysis.answer_type == "goal" or asks_which_goal(question)
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
            held = [
                g
                for n in _ranked_by(hits, "tiarsmal")
                if (g := goals.goal(n)) is not None and self.holds_focus(g, analysis, candidates)
            ]
            goal = held[0] if held else self._only_holder(self._goal_stems, analysis, goals.goal)
            if goal is None and wants_area:
                areas = [
                    m
                    for n in _ranked_by(hits, "malomrade")
                    if (m := goals.malomrade(n)) is not None and self._area_holds(m, analysis)
                ]
                area = (
                    areas[0]
                    if areas
                    else self._only_holder(self._area_stems, analysis, goals.malomrade)
                )
        if goal is not None:
            parent = goals.malomrade(goal.malomrade) if goal.malomrade else None
            return self._goal_lead(goal, parent, language, focus_area=wants_area)
        if area is not None:
            return self._area_lead(area, language)
        return None

    def location(
        self, candidates: list[Candidate], language: Language, analysis: QuestionAnalysis
    ) -> tuple[str, Citation] | None:
        """When the best two quotes sit under one tiårsmål whose section holds the
        question's topic, say which (orients the reader).

        The sentence says where the quotes are from, which their place in the strategy
        proves, not that the strategy answers the question ("Strategien omtaler dette
        under …", as it said until 2026-12-06, opened answers to questions one step
        beyond the text: "Hvem er direktør i Siva?" under the catapult's goal).

        Norwegian questions only: for an English one the claim cannot be checked
        word by word, and the lead is not needed to answer it.
        """
        top = [c for c in candidates[:2] if c.chunk.chunk.tiarsmal]
        if language == "en" or len(top) < 2:
            return None
        if top[0].chunk.chunk.tiarsmal != top[1].chunk.chunk.tiarsmal:
            return None
        goal = self.index.goals.goal(top[0].chunk.chunk.tiarsmal or 0)
        if goal is None or not self.holds_focus(goal, analysis, candidates):
            return None
        citation = self._heading_citation(goal.document_id, goal.start, goal.end)
        return f"Sitatene er fra omtalen av Tiårsmål {goal.number} – {goal.title}.", citation

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


def is_title(goal: Tiarsmal, text: str) -> bool:
    """Is the text the goal's title, as the overview box lists it ("• Reduksjon av
    arbeidsrelatert kreft gjennom styrket systematisk HMS-arbeid")? An English question's
    best quote that is a goal's title names that goal, wherever it stands."""
    unit = " ".join(text.split()).strip("•–- .").lower()
    return unit == " ".join(goal.title.split()).strip(" .").lower()


def _ranked_by(hits: list[ScoredChunk], attr: str) -> list[int]:
    """The goal (or målområde) numbers the retrieved chunks point to, most first.

    Each number collects 1/rank from every hit in its section: the chunk ranking
    sees a chunk's section path and title, so it is steadier than single sentences.
    """
    scores: dict[int, float] = {}
    for hit in hits:
        number = getattr(hit.chunk, attr)
        if number:
            scores[number] = scores.get(number, 0.0) + 1.0 / hit.rank
    return sorted(scores, key=lambda n: (-scores[n], n))
