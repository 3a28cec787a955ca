"""The learned reader: a missing or damaged model is never an error, and says so."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant.answer.learned import Calibration, load_learned_reader, read_manifest
from assistant.answer.service import AnswerService
from assistant.launcher import Services
from assistant.settings import AnswerSettings

ARTIFACT = Path("models/reader")
STUDENT = Path("models/reader-small")
HPV = "Hvilket tiårsmål dekker eliminering av HPV?"


def _service(services: Services, folder: Path, **answer: object) -> AnswerService:
    settings = services.settings.answer.model_copy(
        update={"reader": "learned", "reader_dir": folder, **answer}
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
    answer = service.answer(HPV)
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


@pytest.mark.parametrize("folder", [ARTIFACT, STUDENT], ids=["12 layers", "student"])
def test_the_shipped_models_verify_and_name_their_corpus(folder: Path) -> None:
    if not (folder / "manifest.json").is_file():
        pytest.fail(f"{folder} is missing: run `assistant reader train` (docs/reader-model.md)")
    manifest = read_manifest(folder)
    assert manifest["base"]["sha256"]
    assert manifest["corpus_hash"]
    assert manifest["calibration"]["split"] == "dev"
    assert (folder / "model.safetensors").stat().st_size < 60 * 2**20


def test_the_default_reader_is_the_student_of_the_shipped_model() -> None:
    assert AnswerSettings().reader == "learned"
    assert AnswerSettings().reader_dir == STUDENT
    manifest = read_manifest(STUDENT)
    assert manifest["hyperparameters"]["layers"] == 6
    assert manifest["hyperparameters"]["teacher"] == str(ARTIFACT)
    assert manifest["data"]["pairs_sha256"] == read_manifest(ARTIFACT)["data"]["pairs_sha256"]


@pytest.mark.parametrize(
    ("calibration", "english", "expected"),
    [
        # no language term (an older manifest): the language changes nothing
        (Calibration(reader=1.0, learned=0.5, intercept=0.0, threshold=0.5), True, 0.5),
        (Calibration(reader=1.0, learned=0.5, intercept=0.0, threshold=0.5), False, 0.5),
        # a term of +ln 3 turns even odds into 3 : 1 for an English question only
        (Calibration(1.0, 0.5, 0.0, 0.5, english=1.0986123), True, 0.75),
        (Calibration(1.0, 0.5, 0.0, 0.5, english=1.0986123), False, 0.5),
    ],
)
def test_the_calibration_adds_its_language_term_for_english_questions(
    calibration: Calibration, english: bool, expected: float
) -> None:
    # reader probability 0.5 (logit 0) and best logit 0: only the intercept and language move it
    assert calibration.probability(0.5, 0.0, english) == pytest.approx(expected, abs=1e-6)


def test_a_set_abstention_threshold_applies_with_the_learned_reader(services: Services) -> None:
    answered = _service(services, STUDENT).answer(HPV)
    assert not answered.abstained
    assert "Tiårsmål 2" in answered.answer
    strict = _service(services, STUDENT, abstain_threshold=1.0)
    assert strict.learned is not None
    assert strict.answer(HPV).abstained


@pytest.mark.parametrize(
    ("logits", "expected", "passes"),
    [
        # the first unit already answers: the other three are not read
        ([2.0, 5.0, -1.0, 0.0], (2.0, 1), [1]),
        # the first does not: the other three in one batch, the best of all is the logit
        ([-1.0, -2.0, 0.5, 9.0], (9.0, 4), [1, 3]),
        ([-3.0, -0.5, -2.0, -1.0], (-0.5, 4), [1, 3]),
        # a fifth candidate is never read
        ([-3.0, -3.0, -3.0, -3.0, 7.0], (-3.0, 4), [1, 3]),
        ([-1.0, 0.5], (0.5, 2), [1, 1]),
        ([-1.0], (-1.0, 1), [1]),
        ([], None, []),
    ],
)
def test_the_model_reads_the_other_units_only_when_the_first_does_not_answer(
    monkeypatch: pytest.MonkeyPatch,
    logits: list[float],
    expected: tuple[float, int] | None,
    passes: list[int],
) -> None:
    import assistant.answer.learned as learned_module

    monkeypatch.setattr(learned_module, "passage_text", lambda index, evidence: str(evidence))
    reader = learned_module.LearnedReader(Path("x"), {}, None, None)
    asked: list[list[str]] = []

    def scores(question: str, passages: list[str]) -> list[float]:
        asked.append(passages)
        return [logits[int(p)] for p in passages]

    monkeypatch.setattr(reader, "scores", scores)
    candidates = [SimpleNamespace(evidence=i) for i in range(len(logits))]
    assert reader.read(None, "q", candidates, lambda logit: logit >= 0) == expected  # type: ignore[arg-type]
    assert [len(p) for p in asked] == passes


LAZY_QUESTIONS = [
    HPV,
    "Hvem har ansvaret for å følge opp kreftstrategien?",
    "Hva sier strategien om hvor mye tobakksavgiften skal øke?",
    "Hvor mange pasienter fikk protonterapi i Bergen i fjor?",
    "What does the strategy say about cancer screening for bowel cancer?",
    "Hvilke tiltak foreslås for rehabilitering etter kreft?",
]


def test_reading_the_model_lazily_decides_as_reading_every_unit(services: Services) -> None:
    lazy = _service(services, STUDENT)
    exhaustive = _service(services, STUDENT)
    assert lazy.learned is not None
    assert exhaustive.learned is not None
    assert lazy.learned.reads_lazily
    exhaustive.learned.exhaustive = True
    read_lazily = read_all = 0
    for question in LAZY_QUESTIONS:
        a, b = lazy.answer(question), exhaustive.answer(question)
        assert (a.abstained, a.answer) == (b.abstained, b.answer), question
        read_lazily += int((a.signals or {}).get("learned_units", 0))
        read_all += 4 * ("learned" in (b.signals or {}))
    assert read_lazily < read_all
    assert lazy.answer(HPV).signals["learned_units"] == 1  # type: ignore[index]
