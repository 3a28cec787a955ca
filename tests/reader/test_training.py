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


@pytest.mark.slow
def test_a_model_trained_in_bfloat16_records_it_and_scores_as_a_reader(tmp_path: Path) -> None:
    import json
    import math
    import shutil

    from assistant.answer.learned import load_learned_reader

    if not (DATA / "pairs.jsonl").is_file():
        pytest.fail("models/reader/data is missing: run `assistant reader data`")
    data = tmp_path / "data"
    data.mkdir()
    lines = (DATA / "pairs.jsonl").read_text(encoding="utf-8").splitlines()
    (data / "pairs.jsonl").write_text("\n".join(lines[:64]) + "\n", encoding="utf-8")
    shutil.copy(DATA / "datacard.json", data / "datacard.json")
    folder = tmp_path / "reader"
    result = train(folder, minutes=2, epochs=0.5, layers=1, data=data, precision="bf16")
    assert result.steps >= 1
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["hyperparameters"]["precision"] == "bf16"
    reader, notice = load_learned_reader(folder, "bf16")
    assert reader is not None, notice
    first = json.loads(lines[0])
    (logit,) = reader.scores(first["question"], [first["passage"]])
    assert math.isfinite(logit)
