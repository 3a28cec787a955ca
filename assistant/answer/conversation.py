"""Conversation: the question's language, and follow-ups made standalone.

Without an LLM a follow-up is resolved in one of two ways. One that changes the
subject ("Og hva med prostatakreft?" after "Hvilket tiårsmål dekker eliminering av
HPV?") keeps the previous question's frame around the new subject ("Hvilket tiårsmål
dekker prostatakreft?"), so the old subject cannot answer it. Any other follow-up
("Hvem har ansvaret for det?") carries the previous question along: the retriever
then sees the topic of the conversation, while sentence selection still weighs the
new question most. Whether a question is a follow-up is
decided from its language alone (:func:`is_follow_up`, table-tested in
``tests/answer/test_conversation.py``).
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass

from assistant.answer.models import Turn

_FOLLOW_UP_START = re.compile(
    r"^\W*(og|men|enn|hva med|hvordan med|hva så med|and|but|what about|how about|also)\b",
    re.IGNORECASE,
)
# A demonstrative before a noun points back to something named earlier: "den ordningen",
# "det partnerskapet", "slike tiltak", "this programme".
# Norwegian "den/det/denne/dette/disse" + a definite noun ("det arbeidet"); after a verb
# and before an indefinite noun "det" is the expletive ("Finnes det screening …?").
_BACK_REFERENCE = re.compile(
    r"\b(?:(?:den|det|denne|dette|disse)\s+(?!er\b|var\b|som\b)[a-zæøå]{2,}(?:en|et|a|ene|ne)"
    r"|(?:slik|slike|sånn|sånne|samme)\s+[a-zæøå]{3,}"
    r"|(?:this|that|these|those|such|the\s+same)\s+(?!is\b|are\b|was\b)[a-z]{3,})\b",
    re.IGNORECASE,
)
# A pronoun standing for an earlier topic: at the end of the question ("Hvem lanserte
# den?", "Hvilke kreftformer nevnes der?", with a particle: "Hvilket målområde hører det
# til?") or after a preposition ("Hva står om det?").
# "det" right after the verb and before more words is the expletive ("finnes det …",
# "hvor mange er det som …") and points back to nothing.
_PRONOUN_AT_END = re.compile(
    r"\b(den|det|dette|denne|disse|de|dem|der|dit|it|this|that|these|those|they|them|there)"
    r"(?:\s+(?:til|om|med|av|for|på|fra|i|inn|under|to|about|with|of|for|in|on))?\W*$",
    re.IGNORECASE,
)
_PRONOUN_AFTER_PREPOSITION = re.compile(
    r"\b(om|for|av|til|med|fra|i|på|about|for|of|to|with|from|in|on)\s+"
    r"(den|det|dette|denne|disse|dem|it|this|that|these|those|them)\b(?!\s+[a-zæøå]{3,})",
    re.IGNORECASE,
)
_ENGLISH_PRONOUN = re.compile(r"\b(its|their|they|them)\b", re.IGNORECASE)
_CONTENT_WORD = re.compile(r"[^\W\d_]{3,}|\b[A-ZÆØÅ]{2}\b")
_NOT_CONTENT = re.compile(
    r"^(hva|hvilke|hvilket|hvilken|hvem|hvor|hvordan|hvorfor|når|mange|what|which|where|"
    r"when|why|how|many|much|does|about|with|from|that|this|there|their|they|them|"
    r"denne|dette|disse|noen|mer|blir|skal|være|ble|det|den|der|som|med|for|and|the|"
    r"are|was|who|betyr|mener|menes|står|sier|gjelder|what's)$",
    re.IGNORECASE,
)


def content_words(text: str) -> list[str]:
    """The words of ``text`` that name something (not question words, pronouns or particles)."""
    return [w for w in _CONTENT_WORD.findall(text) if not _NOT_CONTENT.match(w)]


def is_follow_up(question: str) -> bool:
    """Does the question lean on an earlier turn?

    Yes when it starts with a continuation ("Og …", "Hva med …", "What about …"),
    points back with a demonstrative ("den ordningen", "this programme") or a
    pronoun that stands for an earlier topic (at the end, after a preposition;
    English "its/their/they"), or has no content word of its own ("Hvorfor?").
    A standalone question ("Hva er pakkeforløp?") stays standalone, however short.
    """
    text = question.strip()
    if _FOLLOW_UP_START.match(text):
        return True
    if _BACK_REFERENCE.search(text):
        return True
    if _PRONOUN_AT_END.search(text) or _PRONOUN_AFTER_PREPOSITION.search(text):
        return True
    if _ENGLISH_PRONOUN.search(text):
        return True
    return not content_words(text)


# "Og hva med X?", "What about X?": the opener and the particles around a new subject.
_NEW_SUBJECT = re.compile(
    r"^\W*(?:(?:og|men|enn|and|but)\s+)?(?:(?:hva|hvordan)(?:\s+så)?\s+med|what\s+about|"
    r"how\s+about|og|men|and|but)\s+(?P<subject>.+?)(?:\s*,?\s*(?:da|så|then|too|also|også))?"
    r"\W*$",
    re.IGNORECASE,
)
_ASKING = re.compile(
    r"\b(hva|hvilke[tn]?|hvem|hvor|hvordan|hvorfor|når|what|which|who|whom|where|when|how|why)\b",
    re.IGNORECASE,
)
# The words that frame a question rather than name its subject: the interrogative
# phrase (the interrogative, what qualifies it, the goals it asks for), then documents,
# articles, prepositions, auxiliaries and verbs of saying. The frame is the question's
# start while its words are of these kinds, plus the finite verb right after the
# interrogative phrase (Bokmål and English put it second: "Hvilket tiårsmål *dekker* …",
# "Which goal *covers* …").
_WH_PHRASE = re.compile(
    r"^(hva|hvilke[tn]?|hvem|hvor|hvordan|hvorfor|når|mange|mye|stor[et]?|lenge|lang|"
    r"tiårsmål\w*|målområde\w*|mål|målet|målene|what|which|who|whom|where|when|how|why|"
    r"many|much|long|ten-year|goals?|focus|areas?)$",
    re.IGNORECASE,
)
_FRAME_REST = re.compile(
    r"^(strategi\w*|dokument\w*|pressemelding\w*|om|for|av|til|på|i|med|innen|under|sier|"
    r"står|nevner|nevnes|omtaler|omtales|strateg(?:y|ies)|documents?|the|a|an|does|do|did|"
    r"is|are|was|were|say|says|mention|mentions|about|on|of|to|in|with)$",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"[\w'’-]+")


def new_subject(question: str) -> str | None:
    """The new subject of a follow-up that changes it ("Og hva med X?" → "X"), else None.

    None when the follow-up asks its own question ("Og hvem leder den?") or points
    back ("Og hva med det?"): those lean on the earlier turn as a whole.
    """
    match = _NEW_SUBJECT.match(question.strip())
    if match is None:
        return None
    subject = match.group("subject").strip(" ,.;:!?")
    if _ASKING.search(subject) or _PRONOUN_AT_END.search(subject):
        return None
    return subject if content_words(subject) else None


MAX_SUBJECT_WORDS = 4
"""A question's subject is a short noun phrase at its end ("eliminering av HPV"); a longer
rest holds a predicate the follow-up keeps ("… had the highest five-year survival …")."""


def question_frame(question: str) -> str | None:
    """The start of ``question`` that frames its subject at the end; None without one.

    "Hvilket tiårsmål dekker eliminering av HPV?" → "Hvilket tiårsmål dekker";
    "What does the strategy say about tobacco?" → "What does the strategy say about".
    None when the question does not start with an interrogative, or when more than
    :data:`MAX_SUBJECT_WORDS` words follow the frame.
    """
    tokens = list(_TOKEN.finditer(question))
    if not tokens or not _ASKING.fullmatch(tokens[0].group(0)):
        return None
    end, in_phrase = tokens[0].end(), True
    for token in tokens[1:]:
        word = token.group(0)
        if in_phrase and _WH_PHRASE.match(word):
            end = token.end()
        elif _FRAME_REST.match(word) or in_phrase:
            end, in_phrase = token.end(), False  # a frame word, or the verb in second place
        else:
            break
    if len(_TOKEN.findall(question[end:])) > MAX_SUBJECT_WORDS:
        return None
    return question[:end].strip()


@dataclass(frozen=True)
class Resolution:
    """A question as understood in its conversation.

    ``text`` is what to retrieve and read; ``reframed`` says it is the previous
    question's frame around a new subject ("Hvilket tiårsmål dekker prostatakreft?"),
    which stands on its own; otherwise a follow-up carries the previous question along.
    """

    text: str
    reframed: bool = False


def resolve(question: str, history: list[Turn]) -> Resolution:
    """The question made standalone: reframed around a new subject, carried, or as is."""
    previous = [t.content for t in history if t.role == "user" and t.content.strip()]
    if not previous or not is_follow_up(question):
        return Resolution(question)
    subject = new_subject(question)
    frame = question_frame(previous[-1].strip())
    if subject is not None and frame is not None:
        return Resolution(f"{frame} {subject}?", reframed=True)
    return Resolution(f"{previous[-1].strip()} {question.strip()}")


def standalone_question(question: str, history: list[Turn]) -> str:
    """The question with the conversation's topic carried along when it is a follow-up."""
    return resolve(question, history).text


class ConversationStore:
    """Server-side histories by conversation id, in memory, bounded and thread-safe."""

    def __init__(self, max_conversations: int = 1000, max_turns: int = 20, ttl_s: float = 3600):
        self._items: OrderedDict[str, tuple[float, list[Turn]]] = OrderedDict()
        self._lock = threading.Lock()
        self.max_conversations = max_conversations
        self.max_turns = max_turns
        self.ttl_s = ttl_s

    def new_id(self) -> str:
        return uuid.uuid4().hex

    def history(self, conversation_id: str) -> list[Turn]:
        with self._lock:
            item = self._items.get(conversation_id)
            if item is None or time.monotonic() - item[0] > self.ttl_s:
                return []
            return list(item[1])

    def append(self, conversation_id: str, *turns: Turn) -> None:
        with self._lock:
            _, history = self._items.pop(conversation_id, (0.0, []))
            history = (history + list(turns))[-self.max_turns :]
            self._items[conversation_id] = (time.monotonic(), history)
            while len(self._items) > self.max_conversations:
                self._items.popitem(last=False)
