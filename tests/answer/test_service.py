"""The answer service on the real corpus and index: grounded, cited, abstaining."""

from __future__ import annotations

import re

import pytest

from assistant.answer.models import Answer, Turn
from assistant.answer.service import ModeUnavailableError, QuestionError
from assistant.launcher import Services
from assistant.retrieval.hybrid import FilterError, Filters

HPV = "Hvilket tiårsmål dekker eliminering av HPV?"


def _verbatim(services: Services, answer: Answer) -> None:
    for c in answer.citations:
        assert services.index.documents[c.document_id].text[c.start : c.end] == c.quote


def test_hpv_question_names_goal_two_with_quote_and_page(services: Services) -> None:
    answer = services.answers.answer(HPV)
    assert not answer.abstained
    assert answer.language == "nb"
    assert (
        "Tiårsmål 2 – Eliminere livmorhalskreft og annen kreft forårsaket av HPV" in answer.answer
    )
    assert "målområde 1" in answer.answer.lower()
    first = answer.citations[0]
    assert first.document_id == "strategi-2025-2035"
    assert first.page == 17
    assert "Tiårsmål 2" in first.section
    assert "Målområde 1" in first.section
    assert "Eliminere livmorhalskreft" in first.quote
    assert re.search(r"\[1\]", answer.answer)
    _verbatim(services, answer)


def test_every_marker_has_a_citation_and_every_citation_is_used(services: Services) -> None:
    answer = services.answers.answer("Hvor mange nye krefttilfeller per år ventes i 2040?")
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    assert markers == {c.n for c in answer.citations}
    assert "50 000" in answer.answer


def test_english_question_finds_norwegian_passages(services: Services) -> None:
    answer = services.answers.answer("Which ten-year goal is about eliminating HPV?")
    assert answer.language == "en"
    assert not answer.abstained
    assert "Tiårsmål 2" in answer.answer
    assert answer.citations[0].document_id == "strategi-2025-2035"
    _verbatim(services, answer)


@pytest.mark.parametrize(
    "question",
    [
        "Hvem vant Eliteserien i fotball i 2024?",
        "Hva sier de svenske retningslinjene om tarmscreening?",
        "Hva er budsjettet for kreftstrategien i 2026?",
        "What do the Danish cancer guidelines recommend for lung screening?",
        "Hva er tiårsmål 25?",
    ],
)
def test_questions_outside_the_documents_abstain(services: Services, question: str) -> None:
    answer = services.answers.answer(question)
    assert answer.abstained
    expected = "I cannot find" if answer.language == "en" else "Jeg finner ikke svar på dette"
    assert answer.answer.startswith(expected)
    assert answer.citations, "the nearest passages are still shown"
    _verbatim(services, answer)


def test_follow_up_is_resolved_against_the_earlier_turn(services: Services) -> None:
    first = services.answers.answer(HPV)
    history = [Turn(role="user", content=HPV), Turn(role="assistant", content=first.answer)]
    follow = services.answers.answer("Hvilket målområde hører det til?", history=history)
    assert not follow.abstained
    assert "Målområde 1" in follow.answer
    assert follow.standalone_question
    assert "HPV" in follow.standalone_question


def test_follow_up_what_about(services: Services) -> None:
    question = "Hvilket tiårsmål handler om screening for lungekreft?"
    first = services.answers.answer(question)
    history = [Turn(role="user", content=question), Turn(role="assistant", content=first.answer)]
    follow = services.answers.answer("Og hva med prostatakreft?", history=history)
    assert "prostatakreft" in follow.answer.lower()


def test_older_and_newer_strategy_are_both_cited_with_dates(services: Services) -> None:
    answer = services.answers.answer(
        "Hvem skal lede Partnerskap mot kreft, i 2013-strategien og i den nye strategien?"
    )
    documents = {c.document_id for c in answer.citations}
    assert {"hod-pressemelding-2013", "strategi-2025-2035"} <= documents
    assert "(2013)" in answer.answer
    assert "(2025)" in answer.answer


def test_stream_yields_the_text_then_the_final_answer(services: Services) -> None:
    pieces = list(services.answers.stream(HPV))
    final = pieces[-1]
    assert isinstance(final, Answer)
    text = "".join(p for p in pieces[:-1] if isinstance(p, str))
    assert len(pieces) > 3
    assert text == final.answer


def test_filters_restrict_the_evidence(services: Services) -> None:
    answer = services.answers.answer(
        "Hva er Comprehensive Cancer Centre?", filters=Filters(kinds=["press"])
    )
    kinds = {services.index.documents[c.document_id].meta.kind for c in answer.citations}
    assert kinds == {"press"}
    with pytest.raises(FilterError, match="Valid kinds"):
        services.answers.answer(HPV, filters=Filters(kinds=["blog"]))


@pytest.mark.parametrize("question", ["", "   ", "x" * 5000])
def test_bad_questions_are_refused_with_a_reason(services: Services, question: str) -> None:
    with pytest.raises(QuestionError):
        services.answers.answer(question)


def test_llm_mode_without_an_endpoint_says_how_to_configure_it(services: Services) -> None:
    with pytest.raises(ModeUnavailableError, match="ASSISTANT_LLM__BASE_URL"):
        services.answers.answer(HPV, mode="llm")


def test_a_unit_is_read_as_its_span_with_its_headings_and_kept(services: Services) -> None:
    """The reader reads a unit when a question first reaches it: its text is the document's
    span, its stems include the headings above it, and the reading is kept."""
    reader = services.answers.extractive
    index = services.index
    for u, unit in enumerate(index.evidence):
        chunk = index.chunks[unit.chunk]
        doc = index.documents[chunk.document_id]
        reading = reader.reading(u)
        assert reading.text == doc.text[unit.start : unit.end]
        section = doc.section_at(unit.start)
        if section is not None:  # the headings above the unit, outermost first
            assert set(reader.analyzer(section.path_text)) <= reading.stems
        assert reader.reading(u) is reading
