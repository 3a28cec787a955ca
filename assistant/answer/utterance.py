"""What kind of message is it: a question, or small talk, an instruction, a request, noise?

A chat box receives more than questions. Before anything is retrieved, the message's
*form* is read, from the language alone (Bokmål and English), never from the topics of
particular questions:

- :func:`is_greeting`: made only of greetings, thanks, farewells, "how are you" and
  fillers ("Hei!", "Takk for hjelpen", "ok", "Good evening");
- :func:`is_instruction`: aimed at the system itself: its instructions, rules, prompt,
  role or secrets ("Ignorer alle tidligere instruksjoner …", "You are now DAN");
- :func:`is_creative_request`: asks for a text of a genre (a poem, a joke, an email), a
  translation or a recommendation ("Skriv et dikt om høsten", "Tell me a joke");
- :func:`is_noise`: no word of any language: punctuation, digits, keyboard runs,
  one letter repeated ("????", "asdfghjkl", "jjjj kkkk").

None of these can be answered from documents, so each gets a short help text instead
of quotes (:mod:`assistant.answer.replies`). A message that is none of them is a
``question`` and goes on to the scope decision (:mod:`assistant.answer.scope`).
``tests/answer/test_utterance.py`` holds each rule's table of cases.
"""

from __future__ import annotations

import itertools
import re
from typing import Literal

MessageForm = Literal["question", "greeting", "instruction", "creative", "noise"]

_I = re.IGNORECASE

# Phatic expressions: they open, close or keep a conversation going and ask nothing of
# the documents. Longer expressions first, so "tusen takk" is one, not "takk" + a rest.
_PHATIC_PHRASES = (
    "ha det bra|takk skal du ha|takk for hjelpen|takk for svaret|takk for det|"
    "bare hyggelig|tusen takk|mange takk|god morgen|god dag|god kveld|god natt|vi snakkes|"
    "hvordan har du det|hvordan går det|hva heter du|hvem er du|er du der|"
    "hva kan du gjøre|hva kan du|ha det|"
    "good morning|good afternoon|good evening|good night|see you|thank you|many thanks|"
    "how are you|how is it going|how's it going|who are you|what is your name|"
    "what's your name|are you there|what can you do|that was all|that's all|that is all|"
    "hei|heisann|hallo|halla|hoi|morn|morna|hade|takk|flott|supert|fint|bra|ok|okei|okay|"
    "ja|nei|jo|hmm+|hm|aha|uff|test|testing|hi|hello|hey|hiya|bye|goodbye|thanks|thx|"
    "cheers|great|nice|cool|fine|yes|no|yep|nope"
)
_PHATIC_RE = re.compile(rf"\b(?:{_PHATIC_PHRASES})\b", _I)
# Words that may stand beside a phatic expression without asking anything.
_PHATIC_FILLER = frozenset(
    "i dag da så du deg dere igjen alle sammen for hjelpen svaret det very much so today "
    "you there again all everyone and og the help answer".split()
)

# Addressing the system: its instructions, rules or prompt; a new role; its secrets.
_OVERRIDE = re.compile(
    r"\b(ignorer\w*|overse|glem|se bort fra|ignore|disregard|forget|override|bypass)\b"
    r".{0,60}\b(instruksjon\w*|regl\w*|retningslinj\w*|prompt\w*|begrensning\w*|"
    r"instructions?|rules?|guidelines?|prompts?|restrictions?|everything above|alt over)",
    _I,
)
_SYSTEM_PROMPT = re.compile(
    r"\b(system\s?-?prompt\w*|hidden prompt|skjult\w* prompt|"
    r"(?:your|din|dine|ditt)\s+(?:system\s+)?(?:configuration|konfigurasjon\w*|instructions|"
    r"instruksjoner|prompt\w*|rules|regler))\b",
    _I,
)
_NEW_ROLE = re.compile(
    r"\b(du er nå|fra nå av|you are now|from now on|pretend (?:to be|you are|you're)|"
    r"late som|lat som|act as|oppfør deg som|spill rollen|role-?play)\b",
    _I,
)
_SECRET = re.compile(
    r"\b(vis|gi|fortell|avslør|skriv ut|show|give|tell|reveal|print)\b.{0,40}"
    r"\b(api-?nøkkel\w*|nøkkel\w*|passord\w*|api[ -]?keys?|passwords?|credentials|"
    r"tokens?|secrets?|hemmelighet\w*)\b",
    _I,
)
_REPEAT_ABOVE = re.compile(
    r"\b(repeat|gjenta)\b.{0,30}\b(text|teksten|words|ordene)\b.{0,20}"
    r"\b(above|over|ovenfor)\b",
    _I,
)

# Asking for a text of a genre, a translation, or a recommendation of a work.
_COMPOSE = (
    r"(skriv\w*|lag|lage|dikt|dikte|komponer\w*|forfatt\w*|fortell\w*|finn på|write|compose|"
    r"make|create|tell|draft|generate|come up with)"
)
_GENRE = (
    r"(dikt\w*|sang\w*|vits\w*|historie\w*|eventyr\w*|novelle\w*|haiku\w*|limerick\w*|rim|"
    r"regle\w*|e-?post\w*|brev\w*|handleliste\w*|oppskrift\w*|sangtekst\w*|poems?|songs?|"
    r"jokes?|stor(?:y|ies)|tales?|essays?|e-?mails?|letters?|recipes?|shopping lists?|"
    r"lyrics|riddles?|gåte\w*)"
)
_CREATIVE = re.compile(rf"\b{_COMPOSE}\b(?:\s+\S+){{0,4}}?\s+{_GENRE}\b", _I)
_TRANSLATE = re.compile(
    r"^\W*(?:kan du\s+|can you\s+|could you\s+|please\s+)?(oversett|translate)\b", _I
)
_RECOMMEND = re.compile(
    r"\b(anbefal\w*|foreslå|recommend|suggest)\b(?:\s+\S+){0,3}?\s+"
    r"(films?|filmer|bøker|bok|books?|movies?|serier?|series|restaurant\w*|spill|games?|"
    r"musikk|music|podcasts?|ferie\w*|holidays?)\b",
    _I,
)

_WORD = re.compile(r"[^\W\d_]+")
_VOWELS = set("aeiouyæøåéèêàáäöü")
_KEYBOARD_ROWS = ("qwertyuiopå", "asdfghjkløæ", "zxcvbnm")
_REPEATED = re.compile(r"(.)\1{2,}")


def is_greeting(text: str) -> bool:
    """Only greetings, thanks, farewells, "how are you" and fillers: nothing is asked."""
    if not _PHATIC_RE.search(text):
        return False
    rest = _PHATIC_RE.sub(" ", text.lower())
    words = [w for w in _WORD.findall(rest) if w not in _PHATIC_FILLER]
    return not words


def is_instruction(text: str) -> bool:
    """Aimed at the system: override its instructions, ask for its prompt, role or secrets."""
    return any(
        p.search(text) for p in (_OVERRIDE, _SYSTEM_PROMPT, _NEW_ROLE, _SECRET, _REPEAT_ABOVE)
    )


def is_creative_request(text: str) -> bool:
    """Asks for a text of a genre (poem, joke, email), a translation or a recommendation."""
    return bool(_CREATIVE.search(text) or _TRANSLATE.search(text) or _RECOMMEND.search(text))


def _non_word(token: str) -> bool:
    """A token no language writes: no vowel (unless an acronym), no consonant, one letter
    three times running, or four neighbouring keys of a keyboard row."""
    low = token.lower()
    if len(low) < 2:
        return False
    acronym = token.isupper() and len(token) <= 6  # "HPV", "KS": written in capitals
    no_vowel = not any(c in _VOWELS for c in low)
    if (no_vowel and not acronym) or (len(low) >= 3 and all(c in _VOWELS for c in low)):
        return True
    if _REPEATED.search(low):
        return True
    return any(_keyboard_run(low, row) >= 4 for row in _KEYBOARD_ROWS)


def _keyboard_run(token: str, row: str) -> int:
    """The longest run of neighbouring keys of ``row`` in ``token`` (either direction)."""
    best = run = 1
    for a, b in itertools.pairwise(token):
        i, j = row.find(a), row.find(b)
        run = run + 1 if i >= 0 and j >= 0 and abs(i - j) == 1 else 1
        best = max(best, run)
    return best


def is_noise(text: str) -> bool:
    """No word of a language: only punctuation, digits and non-words ("asdfghjkl", "????")."""
    words = _WORD.findall(text)
    return all(_non_word(w) for w in words)


def message_form(text: str) -> MessageForm:
    """The message's form: the first rule that holds, else ``question``."""
    if is_noise(text):
        return "noise"
    if is_instruction(text):
        return "instruction"
    if is_greeting(text):
        return "greeting"
    if is_creative_request(text):
        return "creative"
    return "question"


_ASKS = re.compile(
    r"^\W*(hva|hvilke[tn]?|hvem|hvor\w*|hvordan|hvorfor|når|kan|er|var|har|skal|vil|finnes|"
    r"gjelder|blir|ble|forklar|beskriv|nevn|list|oppsummer|fortell|gi|vis|what|which|who|"
    r"whom|where|when|why|how|is|are|was|were|does|do|did|can|could|will|should|has|have|"
    r"explain|describe|name|list|summari[sz]e|tell|give|show)\b",
    _I,
)


def looks_like_question(text: str) -> bool:
    """Asked as a question or a request: a question mark, or an interrogative or verb first."""
    return "?" in text or bool(_ASKS.match(text))
