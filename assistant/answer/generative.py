"""LLM mode: a generated answer whose every sentence is checked against its quotes.

The model sees numbered verbatim quotes and must cite them ``[n]`` and answer
in the question's language. The verifier keeps a sentence only when it cites
a quote and its content words (stemmed, weighted by IDF as the reader weighs
them) are mostly found in the cited quotes,
or it is semantically very close to them. If too little survives, the caller
falls back to the extractive answer and says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from assistant.answer.extractive import Candidate, ExtractiveAnswerer
from assistant.answer.models import Citation, Language
from assistant.components.embedding import AssistantEmbedding
from assistant.components.llm import ChatModel, LLMUnavailableError
from assistant.ingest.sentences import sentence_spans

MAX_SOURCES = 6
SUPPORT_LEXICAL = 0.6
SUPPORT_LEXICAL_WITH_DENSE = 0.3
SUPPORT_DENSE = 0.88
MIN_KEPT_SHARE = 0.5

_SYSTEM = {
    "nb": (
        "Du er en faglig assistent for helsepersonell. Svar kort på norsk bokmål, kun ut fra "
        "kildene nedenfor. Hver setning skal slutte med kildenummeret i hakeparentes, f.eks. [1]. "
        "Hvis kildene ikke svarer på spørsmålet, svar nøyaktig: "
        "«Jeg finner ikke svar på dette i dokumentene.»"
    ),
    "en": (
        "You are an assistant for health professionals. Answer briefly in English, using only "
        "the sources below. End every sentence with its source number in brackets, e.g. [1]. "
        "If the sources do not answer the question, reply exactly: "
        '"I cannot find an answer to this in the documents."'
    ),
}
_FALLBACK = {
    "nb": "Det genererte svaret kunne ikke verifiseres mot kildene; viser uttrekkssvaret i stedet.",
    "en": (
        "The generated answer could not be verified against the sources; "
        "showing the extractive answer."
    ),
}
_UNAVAILABLE = {
    "nb": "Språkmodellen svarte ikke ({reason}); viser uttrekkssvaret i stedet.",
    "en": "The language model did not answer ({reason}); showing the extractive answer.",
}


@dataclass
class Verified:
    """Outcome of a generation: accepted text and citations, or why not."""

    accepted: bool
    text: str = ""
    citations: list[Citation] = field(default_factory=list)
    notice: str | None = None
    faithfulness: float = 0.0
    raw: str = ""


def build_messages(question: str, language: Language, quotes: list[str]) -> list[tuple[str, str]]:
    sources = "\n".join(f"[{i}] {' '.join(q.split())}" for i, q in enumerate(quotes, start=1))
    label = "Kilder" if language == "nb" else "Sources"
    asks = "Spørsmål" if language == "nb" else "Question"
    return [("system", _SYSTEM[language]), ("user", f"{label}:\n{sources}\n\n{asks}: {question}")]


def split_sentences(text: str) -> list[str]:
    """The sentences of a generated answer, by the corpus's own sentence rule."""
    return [text[start:end] for start, end in sentence_spans(text)]


def cited_sentences(text: str) -> list[tuple[str, list[int]]]:
    """Sentences with the source numbers they cite.

    A sentence without a marker is covered by the next marker in its paragraph
    (a citation at the end of a paragraph covers the paragraph); one with no marker after
    it gets none, and the verifier looks for its source itself.
    """
    out: list[tuple[str, list[int]]] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        pending: list[str] = []
        for sentence in split_sentences(paragraph):
            numbers = [int(n) for n in re.findall(r"\[(\d+)\]", sentence)]
            if not numbers:
                pending.append(sentence)
                continue
            out.extend((p, numbers) for p in pending)
            out.append((sentence, numbers))
            pending = []
        out.extend((p, []) for p in pending)
    return out


def generate_verified(
    chat_model: ChatModel,
    question: str,
    language: Language,
    candidates: list[Candidate],
    extractive: ExtractiveAnswerer,
    embedder: AssistantEmbedding,
) -> Verified:
    """Generate, verify each sentence, and return what survived (or why nothing did)."""
    sources: list[Candidate] = []
    for c in candidates:
        if len(sources) >= MAX_SOURCES:
            break
        if not any(
            c.chunk.chunk.document_id == s.chunk.chunk.document_id and c.start == s.start
            for s in sources
        ):
            sources.append(c)
    texts = [
        extractive.index.documents[c.chunk.chunk.document_id].text[c.start : c.end] for c in sources
    ]
    try:
        raw = chat_model.complete(build_messages(question, language, texts))
    except LLMUnavailableError as exc:
        reason = str(exc).split(".")[0][:160]
        return Verified(False, notice=_UNAVAILABLE[language].format(reason=reason))
    sentences = cited_sentences(raw)
    if not sentences:
        return Verified(False, notice=_FALLBACK[language], raw=raw)
    kept: list[tuple[str, list[int]]] = []
    for sentence, numbers in sentences:
        claim = re.sub(r"\[\d+\]", "", sentence).strip()
        if not claim:
            continue
        # a sentence the model left without a marker may still be checked: against each
        # source on its own, the closest in words first, and cited to the first that holds it
        tries = (
            [[n for n in numbers if 1 <= n <= len(sources)]]
            if numbers
            else [[n] for n in _closest_first(claim, texts, extractive)]
        )
        for cited in tries:
            if cited and _supported(
                claim,
                [texts[n - 1] for n in cited],
                [sources[n - 1] for n in cited],
                extractive,
                embedder,
            ):
                kept.append((claim, sorted(set(cited))))
                break
    faithfulness = len(kept) / len(sentences)
    if not kept or faithfulness < MIN_KEPT_SHARE:
        return Verified(False, notice=_FALLBACK[language], faithfulness=faithfulness, raw=raw)
    numbering: dict[int, int] = {}
    citations: list[Citation] = []
    parts: list[str] = []
    for claim, cited in kept:
        markers = []
        for n in cited:
            if n not in numbering:
                numbering[n] = len(numbering) + 1
                c = sources[n - 1]
                citations.append(
                    extractive._citation(numbering[n], c.chunk, c.start, c.end, c.score)
                )
            markers.append(f"[{numbering[n]}]")
        parts.append(f"{claim} {''.join(markers)}")
    return Verified(True, " ".join(parts), citations, None, faithfulness, raw)


def _closest_first(claim: str, texts: list[str], extractive: ExtractiveAnswerer) -> list[int]:
    """Source numbers (1-based) by the reader's word coverage of ``claim``, highest first."""
    stems = set(extractive.analyzer(claim))
    cover = [extractive.coverage(stems, set(extractive.analyzer(t))) for t in texts]
    return sorted(range(1, len(texts) + 1), key=lambda n: -cover[n - 1])


def _supported(
    claim: str,
    quotes: list[str],
    cited: list[Candidate],
    extractive: ExtractiveAnswerer,
    embedder: AssistantEmbedding,
) -> bool:
    claim_stems = set(extractive.analyzer(claim))
    if not claim_stems:
        return False
    quote_stems: set[str] = set()
    for quote in quotes:
        quote_stems |= set(extractive.analyzer(quote))
    # the reader's IDF-weighted coverage: a word the corpus never uses weighs most,
    # so an invented name or number sinks a claim that common words would carry
    lexical = extractive.coverage(claim_stems, quote_stems)
    if lexical >= SUPPORT_LEXICAL:
        return True
    if lexical < SUPPORT_LEXICAL_WITH_DENSE:
        return False
    vector = embedder.embed_queries([claim])[0]
    dense = max(float(np.dot(extractive.index.sentence_vectors[c.unit], vector)) for c in cited)
    return dense >= SUPPORT_DENSE
