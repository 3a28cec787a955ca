"""What the chat page does: ask, start over, rate an answer, comment on it.

:class:`ChatCallbacks` gets its services from providers called per request;
each callback parses the form, calls a service and renders. Answering,
retrieval and the index stay behind
:class:`~assistant.answer.service.AnswerService` and
:class:`~assistant.answer.context.EvidenceContext`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from typing import Any

import gradio as gr

from assistant.answer.context import EvidenceContext, QuoteInContext
from assistant.answer.models import Answer
from assistant.index.catalogue import UnknownDocumentError
from assistant.launcher import Services
from assistant.retrieval.hybrid import Filters
from assistant.stores.feedback import (
    Feedback,
    FeedbackError,
    FeedbackStorageError,
    FeedbackStore,
    FeedbackUnavailableError,
)
from ui import render

log = logging.getLogger(__name__)

ALL_AREAS = 0
THANKS = "Takk for tilbakemeldingen!"

Session = dict[str, Any]
Display = list[dict[str, Any]]


@dataclass
class Reply:
    """One update of the page after a question; fields left alone are not sent."""

    chat: Any = field(default_factory=gr.skip)
    question: Any = field(default_factory=gr.skip)
    sources: Any = field(default_factory=gr.skip)
    state: Any = field(default_factory=gr.skip)
    session: Any = field(default_factory=gr.skip)
    feedback_box: Any = field(default_factory=gr.skip)
    comment: Any = field(default_factory=gr.skip)
    feedback_status: Any = field(default_factory=gr.skip)
    up: Any = field(default_factory=gr.skip)
    down: Any = field(default_factory=gr.skip)

    def values(self) -> tuple[Any, ...]:
        """The fields in the order of the outputs that :func:`ui.chat.build_chat` wires."""
        return tuple(getattr(self, f.name) for f in fields(self))


def new_session() -> Session:
    """A fresh conversation: its id, how many answers it has had, the latest answer."""
    return {"conversation_id": uuid.uuid4().hex, "turn": 0, "question": None, "answer": None,
            "feedback_id": None}  # fmt: skip


def filters_from(kinds: list[str] | None, area: int | None) -> Filters:
    """The answer service's filters from the form: kinds ticked, målområde chosen (0 = all)."""
    return Filters(kinds=list(kinds or []), malomrader=[int(area)] if area else [])


class ChatCallbacks:
    """The chat's event handlers over the services and the feedback store."""

    def __init__(
        self, get_services: Callable[[], Services], get_feedback: Callable[[], FeedbackStore]
    ):
        self.get_services = get_services
        self.get_feedback = get_feedback

    def respond(
        self, question: str, display: Display, session: Session | None, kinds: list[str], area: int
    ) -> Iterator[tuple[Any, ...]]:
        """Ask: show the question, stream the answer, then show its sources."""
        question = (question or "").strip()
        session = dict(session or new_session())
        if not question:
            yield Reply().values()
            return
        turn = session["turn"] + 1
        display = [*(display or []), {"role": "user", "content": render.user_message(question)}]
        display.append({"role": "assistant", "content": render.PENDING})
        yield Reply(
            chat=display, question="", sources=render.sources_pending(),
            state=render.chat_state("busy", turn - 1), feedback_box=gr.update(visible=False),
        ).values()  # fmt: skip
        try:
            services = self.get_services()
            conversation = services.chat.open(session["conversation_id"])
            answer = None
            text = ""
            for piece in conversation.stream(question, filters=filters_from(kinds, area)):
                if isinstance(piece, Answer):
                    answer = piece
                    break
                text += piece
                streaming = render.streaming_message(text)
                display = [*display[:-1], {"role": "assistant", "content": streaming}]
                yield Reply(chat=display).values()
            if answer is None:
                raise RuntimeError("The answer service ended without an answer.")
            answer = _with_sharing_notice(services, conversation.id, answer)
            sources = render.sources_panel(answer, quote_contexts(services, answer))
        except Exception as exc:
            if _is_the_questions_fault(exc):
                log.info("The chat could not answer %r: %s", question, exc)
            else:
                log.exception("The chat could not answer %r", question)
            error = render.error_message(_explain(exc))
            display = [*display[:-1], {"role": "assistant", "content": error}]
            session["turn"] = turn
            yield Reply(
                chat=display, sources=render.sources_placeholder(),
                state=render.chat_state("error", turn), session=session,
            ).values()  # fmt: skip
            return
        display = [*display[:-1], {"role": "assistant", "content": render.answer_message(answer)}]
        session.update(turn=turn, question=question, answer=answer.public_dict(), feedback_id=None)
        yield Reply(
            chat=display, sources=sources, state=render.chat_state("done", turn, answer.abstained),
            session=session, feedback_box=gr.update(visible=True), comment="",
            feedback_status="", up=gr.update(variant="secondary"),
            down=gr.update(variant="secondary"),
        ).values()  # fmt: skip

    def asking(self, text: str) -> Callable[..., Iterator[tuple[Any, ...]]]:
        """:meth:`respond` for a fixed question (the example buttons)."""

        def ask(
            display: Display, session: Session | None, kinds: list[str], area: int
        ) -> Iterator[tuple[Any, ...]]:
            yield from self.respond(text, display, session, kinds, area)

        return ask

    def reset(self) -> tuple[Any, ...]:
        """Ny samtale: an empty chat under a new conversation id."""
        return Reply(
            chat=[], question="", sources=render.sources_placeholder(),
            state=render.chat_state("idle", 0), session=new_session(),
            feedback_box=gr.update(visible=False), comment="", feedback_status="",
        ).values()  # fmt: skip

    def rate(self, rating: str, session: Session | None) -> tuple[Any, ...]:
        """👍/👎 on the latest answer: stored at once; a second click changes the rating."""
        session = dict(session or new_session())
        if not session.get("answer"):
            return render.feedback_status("Still et spørsmål først.", "hint"), session, *_skip(2)
        try:
            store = self.get_feedback()
            if session["feedback_id"] is None:
                session["feedback_id"] = store.add(_feedback(session, rating))
            else:
                store.update(session["feedback_id"], rating=rating)  # type: ignore[arg-type]
        except (FeedbackError, OSError) as exc:
            log.exception("Feedback could not be stored")
            status = render.feedback_status(_not_saved("Tilbakemeldingen", exc), "error")
            return status, session, *_skip(2)
        status = render.feedback_status(
            f"{THANKS} Skriv gjerne en kommentar.", "thanks", session["feedback_id"]
        )
        chosen, other = gr.update(variant="primary"), gr.update(variant="secondary")
        return status, session, *((chosen, other) if rating == "up" else (other, chosen))

    def send_comment(self, comment: str, session: Session | None) -> tuple[Any, ...]:
        """Send tilbakemelding: the comment joins the rating already stored."""
        session = dict(session or new_session())
        if session.get("feedback_id") is None:
            return render.feedback_status("Velg 👍 eller 👎 først.", "hint"), session
        try:
            self.get_feedback().update(session["feedback_id"], comment=(comment or "").strip())
        except (FeedbackError, OSError) as exc:
            log.exception("Feedback comment could not be stored")
            return render.feedback_status(_not_saved("Kommentaren", exc), "error"), session
        status = render.feedback_status(
            f"{THANKS} Kommentaren er lagret.", "thanks", session["feedback_id"]
        )
        return status, session

    def load_filters(self) -> Any:
        """The målområde dropdown filled from the goal registry when the page opens."""
        try:
            return gr.update(choices=area_choices(self.get_services()), value=ALL_AREAS)
        except Exception:
            log.exception("The målområde list could not be loaded")
            return gr.skip()


def _with_sharing_notice(services: Services, conversation_id: str, answer: Answer) -> Answer:
    """The answer, saying so when its conversation is kept on this server only (the shared
    database is down)."""
    from assistant.database.fallback import not_shared_notice

    notice = not_shared_notice(services.conversations, conversation_id, answer.language)
    if notice is None:
        return answer
    return answer.model_copy(update={"notice": f"{answer.notice} {notice}" if answer.notice
                                     else notice})  # fmt: skip


def quote_contexts(services: Services, answer: Answer) -> list[QuoteInContext | None]:
    """Each citation's surrounding paragraph, None where it cannot be read."""
    evidence = EvidenceContext(services.catalogue)
    contexts: list[QuoteInContext | None] = []
    for citation in answer.citations:
        try:
            contexts.append(evidence.around(citation))
        except (UnknownDocumentError, ValueError):
            contexts.append(None)
    return contexts


def area_choices(services: Services) -> list[tuple[str, int]]:
    """The målområde dropdown's choices: 'all', then each area as 'N. Title'."""
    areas = EvidenceContext(services.catalogue).goal_areas()
    return [("Alle målområder", ALL_AREAS)] + [(f"{a.number}. {a.title}", a.number) for a in areas]


def _skip(n: int) -> tuple[Any, ...]:
    return tuple(gr.skip() for _ in range(n))


STORAGE_FAILED = (
    "{what} ble ikke lagret: tjenesten får ikke skrevet til datamappen sin. "
    "Si fra til den som drifter tjenesten."
)
DATABASE_DOWN = (
    "{what} ble ikke lagret: databasen tjenesten lagrer i, svarer ikke akkurat nå. "
    "Prøv igjen om litt – svaret står her fortsatt."
)


def _not_saved(what: str, exc: Exception) -> str:
    """The chat's Norwegian line for feedback that could not be stored."""
    if isinstance(exc, FeedbackUnavailableError):
        return DATABASE_DOWN.format(what=what)  # refused, not lost: the user gives it again
    if isinstance(exc, FeedbackStorageError | OSError):
        return STORAGE_FAILED.format(what=what)  # the server log has the details
    return f"{what} ble ikke lagret: {exc}"


def _feedback(session: Session, rating: str) -> Feedback:
    answer = session["answer"]
    return Feedback(
        rating=rating,  # type: ignore[arg-type]
        question=session["question"],
        answer=answer["answer"],
        citations=answer["citations"],
        abstained=answer["abstained"],
        conversation_id=session["conversation_id"],
        mode=answer["mode"],
        source="chat",
    )


def _is_the_questions_fault(exc: Exception) -> bool:
    from assistant.answer.service import ModeUnavailableError, QuestionError
    from assistant.retrieval.hybrid import FilterError

    return isinstance(exc, QuestionError | FilterError | ModeUnavailableError)


def _explain(exc: Exception) -> str:
    from assistant.answer.service import (
        ModeUnavailableError,
        QuestionError,
        QuestionTooLongError,
    )
    from assistant.retrieval.hybrid import FilterError

    if isinstance(exc, QuestionTooLongError):
        return f"Spørsmålet er {exc.length} tegn langt; grensen er {exc.limit}. Forkort det."
    if isinstance(exc, QuestionError):
        return f"Spørsmålet kan ikke besvares slik det er stilt. ({exc})"
    if isinstance(exc, FilterError):
        return f"Filteret er ugyldig. ({exc})"
    if isinstance(exc, ModeUnavailableError):
        return f"Svarmodusen er ikke satt opp. ({exc})"
    return "Noe gikk galt under svaret. Prøv igjen, eller still spørsmålet på en annen måte."
