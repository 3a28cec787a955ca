"""GET /v1/documents[/{id}]: the corpus, and one document's text to show a citation in context."""

from __future__ import annotations

from fastapi import APIRouter

from assistant.api.deps import ServicesDep
from assistant.api.errors import ApiError
from assistant.api.routers.responses import AUTHED, errors
from assistant.api.schemas import (
    DocumentDetail,
    DocumentList,
    DocumentSummary,
    PageStart,
    SectionOut,
)
from assistant.index.catalogue import UnknownDocumentError
from assistant.ingest.document import Document

router = APIRouter(tags=["documents"])


def summary(document: Document) -> DocumentSummary:
    meta = document.meta
    return DocumentSummary(
        id=meta.id,
        title=document.title,
        publisher=meta.publisher,
        kind=meta.kind,
        date=meta.date,
        date_note=meta.date_note,
        language=meta.language,
        file=meta.file,
        chars=len(document.text),
        sections=len(document.sections),
    )


@router.get(
    "/documents",
    response_model=DocumentList,
    summary="The documents in the index",
    responses=errors(*AUTHED),
)
async def list_documents(services: ServicesDep) -> DocumentList:
    """Every document with its metadata, in id order."""
    return DocumentList(documents=[summary(d) for d in services.catalogue.documents()])


@router.get(
    "/documents/{document_id}",
    response_model=DocumentDetail,
    summary="One document's cleaned text and sections",
    responses=errors(*AUTHED, 404),
)
async def get_document(document_id: str, services: ServicesDep) -> DocumentDetail:
    """The cleaned text that citation offsets (`start`, `end`) point into, with its sections."""
    try:
        document = services.catalogue.document(document_id)
    except UnknownDocumentError as exc:
        valid = ", ".join(exc.valid_ids)
        raise ApiError(
            404, "document_not_found", f"No document with that id. Valid ids: {valid}."
        ) from None
    return DocumentDetail(
        document=summary(document),
        text=document.text,
        sections=[
            SectionOut(
                id=s.id,
                kind=s.kind,
                number=s.number,
                title=s.title,
                path=s.path,
                start=s.start,
                body_start=s.body_start,
                end=s.end,
                page=s.page,
            )
            for s in document.sections
        ],
        pages=[PageStart(start=start, page=page) for start, page in document.pages],
    )
