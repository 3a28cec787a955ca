"""The goal registry: målområder and tiårsmål, read from the strategy's own text.

Numbers, titles, pages and spans come from the numbered sections
(``Målområde N`` / ``Tiårsmål N``); each tiårsmål is also matched to its line
in the overview box (which lists the goals without numbers).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.ingest.document import Document
from assistant.ingest.structure import RANK_GOAL, RANK_TOP


@dataclass
class Malomrade:
    number: int
    title: str
    document_id: str
    page: int | None
    start: int
    end: int


@dataclass
class Tiarsmal:
    number: int
    title: str
    malomrade: int | None
    document_id: str
    page: int | None
    start: int
    end: int
    overview_title: str | None = None


@dataclass
class GoalRegistry:
    """All målområder and tiårsmål found in the corpus."""

    malomrader: list[Malomrade] = field(default_factory=list)
    tiarsmal: list[Tiarsmal] = field(default_factory=list)

    @classmethod
    def from_documents(cls, documents: list[Document]) -> GoalRegistry:
        registry = cls()
        for document in documents:
            registry._read(document)
        registry.malomrader.sort(key=lambda m: m.number)
        registry.tiarsmal.sort(key=lambda t: t.number)
        return registry

    def _read(self, document: Document) -> None:
        sections = document.sections
        current: Malomrade | None = None
        overview = [(mo, title) for mo, titles in document.overview.items() for title in titles]
        for i, section in enumerate(sections):
            if section.kind not in ("malomrade", "tiarsmal") or section.number is None:
                if section.rank <= RANK_TOP and section.kind != "malomrade":
                    current = None
                continue
            limit = RANK_TOP if section.kind == "malomrade" else RANK_GOAL
            end = next((s.start for s in sections[i + 1 :] if s.rank <= limit), len(document.text))
            number = int(section.number)
            if section.kind == "malomrade":
                current = Malomrade(
                    number, section.title, document.id, section.page, section.start, end
                )
                self.malomrader.append(current)
            else:
                best = _best_overview_match(section.title, overview)
                self.tiarsmal.append(
                    Tiarsmal(
                        number=number,
                        title=section.title,
                        malomrade=current.number if current else (best[0] if best else None),
                        document_id=document.id,
                        page=section.page,
                        start=section.start,
                        end=end,
                        overview_title=best[1] if best else None,
                    )
                )

    def malomrade(self, number: int) -> Malomrade | None:
        return next((m for m in self.malomrader if m.number == number), None)

    def goal(self, number: int) -> Tiarsmal | None:
        return next((t for t in self.tiarsmal if t.number == number), None)

    def goals_in(self, malomrade: int) -> list[Tiarsmal]:
        return [t for t in self.tiarsmal if t.malomrade == malomrade]

    def to_dict(self) -> dict[str, Any]:
        return {
            "malomrader": [asdict(m) for m in self.malomrader],
            "tiarsmal": [asdict(t) for t in self.tiarsmal],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GoalRegistry:
        return cls(
            [Malomrade(**m) for m in data.get("malomrader", [])],
            [Tiarsmal(**t) for t in data.get("tiarsmal", [])],
        )


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def _best_overview_match(title: str, overview: list[tuple[int, str]]) -> tuple[int, str] | None:
    best: tuple[int, str] | None = None
    best_score = 0.3  # below this the overview line is not the same goal
    for malomrade, line in overview:
        a, b = _words(title), _words(line)
        score = len(a & b) / len(a | b) if a | b else 0.0
        if score > best_score:
            best, best_score = (malomrade, line), score
    return best
