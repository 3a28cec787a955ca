"""Questions worded the way people ask, written for evidence units by the local model.

The learned reader needs many (question, passage) pairs, and questions cut out of their
own sentence teach only word matching (``shared/notes/reader-probes.md``). So the local
Qwen model is asked, for each evidence unit, for one question the unit answers, in its own
words, the way a health professional would ask, in Bokmål or in English. About half of
what it writes is usable; the pair builder (:mod:`assistant.reader.pairs`) keeps a question
only when it finds its unit again and does not copy the unit's words.

Generation is slow (seconds per question on two cores), so it runs once, beforehand, and
every question is appended to a JSON Lines cache as soon as it is written: a killed run
resumes where it stopped, and the cache is committed as data. Units are visited in a
seeded random order, so any prefix of the cache is a fair sample of the corpus.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from assistant.components.llm import ChatModel
from assistant.index.store import LoadedIndex

PROMPTS: dict[str, tuple[str, str]] = {
    "nb": (
        "Du skriver testspørsmål til et søkesystem for helsepersonell. Svar bare med "
        "spørsmålet, på norsk bokmål.",
        "Tekst:\n{text}\n\nSkriv ett konkret spørsmål som teksten over svarer på, slik en "
        "lege eller sykepleier ville spurt. Bruk dine egne ord: ikke kopier setninger fra "
        "teksten.",
    ),
    "en": (
        "You write test questions for a search system used by health professionals. Reply "
        "with the question only, in English.",
        "Text (in Norwegian):\n{text}\n\nWrite one concrete question in English that the "
        "text above answers, the way a doctor or a nurse would ask it. Use your own words: "
        "do not translate sentences of the text.",
    ),
}
MIN_UNIT_CHARS = 60
"""Shorter units (a name, a heading) rarely answer a question of their own."""
MAX_UNIT_CHARS = 900


@dataclass(frozen=True)
class GeneratedQuestion:
    """One question the model wrote for one unit (the unit by document and span)."""

    document_id: str
    start: int
    end: int
    language: str
    question: str
    model: str


def units_to_ask(index: LoadedIndex, seed: int = 13) -> list[tuple[str, int, int, str]]:
    """(document id, start, end, text) of the units worth a question, in seeded order."""
    seen: set[tuple[str, int, int]] = set()
    out = []
    for unit in index.evidence:
        if unit.role is not None:
            continue  # captions, bylines and stamps are not what questions are about
        document = index.chunks[unit.chunk].document_id
        key = (document, unit.start, unit.end)
        text = index.documents[document].text[unit.start : unit.end]
        if key in seen or not MIN_UNIT_CHARS <= len(text) <= MAX_UNIT_CHARS:
            continue
        seen.add(key)
        out.append((*key, text))
    random.Random(seed).shuffle(out)
    return out


def read_cache(path: Path) -> list[GeneratedQuestion]:
    """The questions written so far (a torn last line from a killed run is skipped)."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(GeneratedQuestion(**json.loads(line)))
        except (json.JSONDecodeError, TypeError):
            continue
    return out


def clean_question(reply: str) -> str | None:
    """The first line of the reply that is a question, without quotes or numbering."""
    for line in reply.splitlines():
        line = re.sub(r"^\W*(?:spørsmål|question)\s*:\s*", "", line.strip(), flags=re.I)
        line = line.strip(" \"'«»*-0123456789.)")
        if line.endswith("?") and len(line.split()) >= 4:
            return line
    return None


def generate(
    model: ChatModel,
    model_name: str,
    index: LoadedIndex,
    cache: Path,
    languages: tuple[str, ...] = ("nb", "en"),
    limit: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[GeneratedQuestion]:
    """Write questions for units not yet in the cache, appending each as it comes.

    Languages alternate over the units (every ``len(languages)``-th unit in English).
    Stops after ``limit`` new questions; raises LLMUnavailableError when the model is down.
    """
    done = {(q.document_id, q.start, q.end, q.language) for q in read_cache(cache)}
    cache.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with cache.open("a", encoding="utf-8") as handle:
        for position, (document, start, end, text) in enumerate(units_to_ask(index)):
            language = languages[position % len(languages)]
            if (document, start, end, language) in done:
                continue
            if limit is not None and written >= limit:
                return
            system, user = PROMPTS[language]
            reply = model.complete([("system", system), ("user", user.format(text=text))])
            question = clean_question(reply)
            written += 1
            if progress is not None:
                progress(1)
            # an unusable reply is kept as "" so the unit is not asked again on resume
            item = GeneratedQuestion(document, start, end, language, question or "", model_name)
            handle.write(json.dumps(asdict(item), ensure_ascii=False) + "\n")
            handle.flush()
            yield item
