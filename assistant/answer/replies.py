"""The fixed sentences an answer can be: abstentions, the help text, notices.

Bokmål first, English for English questions. The help text is built from the index
(the documents' titles and the goal registry), so it names what this corpus holds and
its two example questions are ones the assistant answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.language import Language

if TYPE_CHECKING:
    from assistant.index.store import LoadedIndex

ABSTAIN_TEXT: dict[str, str] = {
    "nb": "Jeg finner ikke svar på dette i dokumentene.",
    "en": "I cannot find an answer to this in the documents.",
}
NEAREST_TEXT: dict[str, str] = {
    "nb": "De nærmeste avsnittene er vist under kildene, men de svarer ikke på spørsmålet.",
    "en": "The nearest passages are listed as sources, but they do not answer the question.",
}
OUT_OF_SCOPE_TEXT: dict[str, str] = {
    "nb": "Dokumentene handler ikke om dette: de gjelder {subject}.",
    "en": "The documents do not cover this: they are about {subject}.",
}
NO_GOAL_TEXT: dict[str, str] = {
    "nb": "Ingen av strategiens tiårsmål handler om dette: ingen av målenes egne avsnitt "
    "omtaler det du spør om.",
    "en": "None of the strategy's ten-year goals covers this: no goal's own section "
    "mentions what you ask about.",
}
JUDGE_DOWN_TEXT: dict[str, str] = {
    "nb": "Språkmodellen som vurderer om kildene svarer, svarte ikke i tide; "
    "svaret bygger på leserens egen vurdering.",
    "en": "The language model that judges whether the sources answer did not reply in time; "
    "the reader decided alone.",
}


def subject(index: LoadedIndex, language: Language) -> str:
    """What the corpus is about, in a phrase: the main document and how many others."""
    documents = sorted(index.documents.values(), key=lambda d: d.meta.kind != "strategy")
    if not documents:
        return "ingen dokumenter ennå" if language == "nb" else "no documents yet"
    main, others = documents[0], len(documents) - 1
    if language == "en":
        more = f" and {others} related document{'s' if others != 1 else ''}" if others else ""
    else:
        more = f" og {others} dokument{'er' if others != 1 else ''} rundt den" if others else ""
    return f"«{main.title}»{more}"


def example_questions(index: LoadedIndex, language: Language) -> list[str]:
    """Two questions the goal registry answers (a goal, and a målområde's goals)."""
    goals, areas = index.goals.tiarsmal, index.goals.malomrader
    examples: list[str] = []
    if goals:
        goal = goals[min(1, len(goals) - 1)].number
        examples.append(
            f"What does ten-year goal {goal} say?"
            if language == "en"
            else f"Hva sier strategien om tiårsmål {goal}?"
        )
    if areas:
        area = areas[0].number
        examples.append(
            f"Which ten-year goals belong to focus area {area}?"
            if language == "en"
            else f"Hvilke tiårsmål hører til målområde {area}?"
        )
    return examples


def help_text(index: LoadedIndex, language: Language) -> str:
    """What the assistant answers, with two example questions (small talk, noise)."""
    examples = " eller ".join(f"«{q}»" for q in example_questions(index, language))
    if language == "en":
        examples = examples.replace(" eller ", " or ")
        text = f"I answer questions about {subject(index, language)}."
        return f"{text} For example: {examples}" if examples else text
    text = f"Jeg svarer på spørsmål om {subject(index, language)}."
    return f"{text} Prøv for eksempel: {examples}" if examples else text


def out_of_scope_text(index: LoadedIndex, language: Language) -> str:
    """The abstention for a question the documents do not speak of."""
    return f"{ABSTAIN_TEXT[language]} " + OUT_OF_SCOPE_TEXT[language].format(
        subject=subject(index, language)
    )
