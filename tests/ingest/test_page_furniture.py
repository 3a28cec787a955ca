"""Page furniture: typed at ingest from the page's structure, offered only when asked for."""

from __future__ import annotations

import pytest

from assistant.ingest.document import Document
from assistant.ingest.page_furniture import offered_for, paragraph_roles


def _roles(document: Document) -> dict[str, str]:
    return {document.text[s:e]: r for s, e, r in paragraph_roles(document)}


def test_publication_stamps_are_typed(documents: dict[str, Document]) -> None:
    for document in documents.values():
        for paragraph in document.text.split("\n\n"):
            if paragraph.upper().startswith(("PUBLISERT", "OPPDATERT", "UTGIVER")):
                assert _roles(document).get(paragraph) == "stamp", paragraph


def test_a_caption_of_names_where_a_photo_stood_is_typed(documents: dict[str, Document]) -> None:
    roles = _roles(documents["hub-toppledermote-2024"])
    names = [p for p, r in roles.items() if r == "names"]
    assert names
    assert all(p.count(",") >= 3 for p in names)


def test_headings_and_body_text_are_not_furniture(documents: dict[str, Document]) -> None:
    for document in documents.values():
        headings = {document.text[s.start : s.body_start].strip() for s in document.sections}
        for paragraph, role in _roles(document).items():
            assert paragraph.strip() not in headings, (document.id, paragraph)
            assert len(paragraph) <= 300, (document.id, role)
    strategy_roles = _roles(documents["strategi-2025-2035"])
    assert strategy_roles == {}  # a report has no photos, bylines or stamps


@pytest.mark.parametrize(
    ("role", "question", "answer_type", "offered"),
    [
        (None, "Hvem deltok på møtet?", "person", True),
        ("stamp", "Når ble artikkelen publisert?", "date", True),
        ("stamp", "Under hvilken regjering ble pressemeldingen publisert?", "other", True),
        ("stamp", "Hvem ga ut pressemeldingen?", "person", True),
        ("stamp", "When was the article published?", "date", True),
        ("stamp", "Når møttes hub-lederne og helseministeren?", "date", False),
        ("stamp", "Hva skjedde på toppledermøtet?", "other", False),
        ("names", "Hvem er med på bildet fra toppledermøtet?", "person", True),
        ("names", "Who is in the photo?", "person", True),
        ("names", "Hvem deltok på toppledermøtet?", "person", False),
        ("names", "Who spoke at the meeting?", "person", False),
        ("caption", "Hvor ble møtet holdt?", "place", True),
        ("caption", "Where was the meeting held?", "place", True),
        ("caption", "Hvem ledet møtet?", "person", False),
        ("byline", "Hvem tok bildet?", "person", True),
        ("byline", "Hvem skrev om møtet?", "person", False),
    ],
)
def test_furniture_is_offered_only_to_questions_that_ask_for_it(
    role: str | None, question: str, answer_type: str, offered: bool
) -> None:
    assert offered_for(role, question, answer_type) is offered
