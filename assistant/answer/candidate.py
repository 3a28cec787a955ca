"""A scored piece of evidence: what the reader ranks and the goal leads locate."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.retrieval.hybrid import ScoredChunk


@dataclass
class Candidate:
    """One evidence unit of a retrieved chunk, scored against the question."""

    evidence: int  # index into index.evidence
    unit: int  # the best-matching sentence unit (its vector stands for the unit)
    chunk: ScoredChunk
    kind: str
    start: int
    end: int
    score: float
    dense: float
    lexical: float
    form: bool
    distance: int  # words between an answer of the expected type and the focus
