"""The learned reader: a missing or damaged model is never an error, and says so."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.answer.learned import load_learned_reader, read_manifest
from assistant.answer.service import AnswerService
from assistant.launcher import Services

ARTIFACT = Path("models/reader")


def _service(services: Services, folder: Path) -> AnswerService:
    settings = services.settings.answer.model_copy(
        update={"reader": "learned", "reader_dir": folder}
    )
    return AnswerService(services.index, services.retriever, settings)


def test_a_missing_model_falls_back_to_the_extractive_reader(
    services: Services, tmp_path: Path
) -> None:
    service = _service(services, tmp_path / "nothing-here")
    assert service.learned is None
    assert service.learned_notice is not None
    assert "assistant reader train" in service.learned_notice
    assert service.reader_status()["reader"] == "extractive"
    answer = service.answer("Hvilket tiårsmål dekker eliminering av HPV?")
    assert not answer.abstained
    assert "Tiårsmål 2" in answer.answer


def test_a_damaged_model_file_is_named_and_not_used(tmp_path: Path) -> None:
    if not (ARTIFACT / "manifest.json").is_file():
        pytest.fail("models/reader is missing: run `assistant reader train`")
    copy = tmp_path / "reader"
    shutil.copytree(ARTIFACT, copy, ignore=shutil.ignore_patterns("data"))
    weights = copy / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    reader, notice = load_learned_reader(copy)
    assert reader is None
    assert notice is not None
    assert "SHA-256" in notice
    assert "model.safetensors" in notice


def test_the_shipped_model_verifies_and_names_its_corpus() -> None:
    if not (ARTIFACT / "manifest.json").is_file():
        pytest.fail("models/reader is missing: run `assistant reader train`")
    manifest = read_manifest(ARTIFACT)
    assert manifest["base"]["sha256"]
    assert manifest["corpus_hash"]
    assert manifest["calibration"]["split"] == "dev"
    assert (ARTIFACT / "model.safetensors").stat().st_size < 60 * 2**20
