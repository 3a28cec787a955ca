"""The catalogue: what documents and goals the index holds, for every shell to list.

The API's document and goal routes, the chat UI's filters and document pages,
the terminal's ``assistant goals`` and the health probe read the corpus here
rather than reaching into the loaded index themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.index.store import LoadedIndex
from assistant.ingest.document import Document
from assistant.ingest.goals import GoalRegistry


class UnknownDocumentError(KeyError):
    """No document with this id is in the index; ``valid_ids`` are those that are."""

    def __init__(self, document_id: str, valid_ids: list[str]):
        super().__init__(document_id)
        self.document_id = document_id
        self.valid_ids = valid_ids

    def __str__(self) -> str:
        return f"No document with id '{self.document_id}'. Valid ids: {', '.join(self.valid_ids)}."


@dataclass(frozen=True)
class Catalogue:
    """Read-only views of the documents and the goal registry of one loaded index."""

    index: LoadedIndex

    def documents(self) -> list[Document]:
        """Every document, in id order."""
        return [self.index.documents[i] for i in sorted(self.index.documents)]

    def document(self, document_id: str) -> Document:
        """The document with this id; UnknownDocumentError (listing the valid ids) if none."""
        try:
            return self.index.documents[document_id]
        except KeyError:
            raise UnknownDocumentError(document_id, sorted(self.index.documents)) from None

    def kinds(self) -> list[str]:
        """The document kinds present, sorted."""
        return sorted({d.meta.kind for d in self.index.documents.values()})

    @property
    def goals(self) -> GoalRegistry:
        """The målområder and tiårsmål read from the strategy."""
        return self.index.goals

    @property
    def sizes(self) -> tuple[int, int]:
        """How many documents and chunks the index holds."""
        return len(self.index.documents), len(self.index.chunks)
