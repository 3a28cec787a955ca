"""Documents' names in a question: they say which document, not what the question is about.

"Hvem har skrevet forordet i Felles innsats mot kreft?" asks about the foreword; "Felles
innsats mot kreft" names the strategy it is in. Read as topic words, a name pulls the
reader to the sentence that repeats the name ("Kreftstrategien Felles innsats mot kreft
2025–2035 har fem målområder …") and a goal lead to the one section that holds "felles
innsats". A document's name is the part of its title before " – " (the subtitle is a
description), and only one longer than :data:`MIN_NAME_CHARS`: a short one ("Om huben")
is made of topic words. The name must be quoted whole: "felles innsats fra kommunene"
is a topic. Cases: ``tests/answer/test_names.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from assistant.answer.dated import NEWEST_STRATEGY, asks_one_thing

MIN_NAME_CHARS = 12


class DocumentNames:
    """The corpus's document names, each with its stems."""

    def __init__(self, titles: Iterable[str], analyzer: Callable[[str], list[str]]):
        self._analyzer = analyzer
        self._stems = {
            name.lower(): set(analyzer(name))
            for title in titles
            if len(name := title.split(" – ")[0].strip()) > MIN_NAME_CHARS
        }

    def quoted_stems(self, question: str) -> set[str]:
        """The stems of every document name the question quotes whole."""
        text = question.lower()
        out: set[str] = set()
        for name, stems in self._stems.items():
            if name in text:
                out |= stems
        if asks_one_thing(question):  # "den nye strategien" names one too
            for m in NEWEST_STRATEGY.finditer(question):
                out |= set(self._analyzer(m.group(0)))
        return out

    def without_names(self, stems: set[str], question: str) -> set[str]:
        """The reader's focus: ``stems`` less the quoted names' stems, or all of them when
        that leaves nothing ("Hva er Felles innsats mot kreft?" is about the strategy
        itself, and the reader needs words to read by). A goal lead keeps the empty topic
        instead: no topic means the question asks about the structure."""
        left = stems - self.quoted_stems(question)
        return left or stems
