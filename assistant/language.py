"""Which language a question is in: Norwegian (Bokmål) first, English second."""

from __future__ import annotations

import re
from typing import Literal

Language = Literal["nb", "en"]

_NB_WORDS = {
    "hva",
    "hvilke",
    "hvilket",
    "hvilken",
    "hvem",
    "hvor",
    "hvordan",
    "når",
    "og",
    "er",
    "det",
    "som",
    "til",
    "på",
    "med",
    "for",
    "ikke",
    "skal",
    "av",
    "om",
    "har",
    "blir",
    "den",
    "de",
    "en",
    "et",
    "i",
    "mål",
    "kreft",
    "strategien",
    "hvorfor",
}
_EN_WORDS = {
    "what",
    "which",
    "who",
    "whom",
    "where",
    "when",
    "how",
    "why",
    "the",
    "is",
    "are",
    "of",
    "to",
    "does",
    "do",
    "in",
    "and",
    "for",
    "about",
    "goal",
    "goals",
    "strategy",
    "cancer",
    "a",
    "an",
    "with",
    "by",
    "be",
    "was",
    "were",
    "there",
    "it",
    "that",
    "this",
    "they",
    "has",
    "have",
    "had",
    "my",
    "your",
    "you",
    "me",
    "should",
    "would",
    "could",
    "can",
    "will",
    "on",
    "at",
    "from",
    "or",
    "not",
    "hello",
    "good",
    "evening",
    "morning",
    "thanks",
    "please",
}


def detect_language(text: str) -> Language:
    """'en' when the text reads as English, else 'nb' (Norwegian first).

    A letter æ, ø or å makes the text Norwegian unless its function words are clearly
    English (two more English than Norwegian ones): an English question may quote a
    Norwegian term ("Under which focus area (målområde) does …").
    """
    words = re.findall(r"[a-zæøå]+", text.lower())
    english = sum(w in _EN_WORDS for w in words)
    norwegian = sum(w in _NB_WORDS for w in words)
    if any(ch in text.lower() for ch in "æøå"):
        return "en" if english >= norwegian + 2 else "nb"
    return "en" if english > norwegian else "nb"
