"""``assistant reader train``: bad input is a clear error before any training step."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.reader.training import TrainingError, train

DATA = Path("models/reader/data")


def test_training_without_pairs_says_which_command_makes_them(tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match="assistant reader data"):
        train(tmp_path / "reader", minutes=1)


@pytest.mark.slow
def test_a_teacher_folder_without_a_model_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    if not (DATA / "pairs.jsonl").is_file():
        pytest.fail("models/reader/data is missing: run `assistant reader data`")
    student = tmp_path / "student"
    with pytest.raises(TrainingError, match="as the teacher") as raised:
        train(student, minutes=1, layers=2, teacher=tmp_path / "no-teacher", data=DATA)
    assert "--teacher models/reader" in str(raised.value)
    assert not student.exists()  # no half-written artifact
