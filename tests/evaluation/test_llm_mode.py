"""llm mode: the verifier's faithfulness reaches the item results and the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.answer.service import AnswerService
from assistant.cli import main
from assistant.components.llm import ChatModel, ScriptedChatModel
from assistant.evaluation.dataset import load_question_set
from assistant.evaluation.metrics import aggregate
from assistant.evaluation.runner import run
from assistant.launcher import Services
from tests.support.llm_server import LLMServer


def _with_model(services: Services, model: ChatModel) -> AnswerService:
    return services.answers.with_chat_model(model)


def test_an_unsupported_generation_scores_zero_faithfulness(
    services: Services, small_set: Path
) -> None:
    items = [i for i in load_question_set(small_set).items if i.id == "tm02-hpv"]
    service = _with_model(services, ScriptedChatModel("Månen er laget av grønn ost [1]."))
    [result] = run(service, items, mode="llm")
    assert result.faithfulness == 0.0
    assert result.notice  # fell back to the extractive answer, and said so
    assert result.correct  # the fallback still answers
    assert aggregate([result])["faithfulness"] == 0.0


@pytest.mark.llm
def test_eval_in_llm_mode_reports_faithfulness(
    eval_env: Path,
    small_set: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    llm_server: LLMServer,
) -> None:
    monkeypatch.setenv("ASSISTANT_LLM__BASE_URL", llm_server.base_url)
    monkeypatch.setenv("ASSISTANT_LLM__MODEL", llm_server.model)
    monkeypatch.setenv("ASSISTANT_LLM__MAX_TOKENS", "120")
    args = ["eval", "--set", str(small_set), "--out", str(tmp_path), "--mode", "llm"]
    assert main([*args, "--limit", "2"]) == 0
    report = json.loads(next(tmp_path.glob("*/report.json")).read_text(encoding="utf-8"))
    assert report["mode"] == "llm"
    metrics = report["runs"]["full"]["metrics"]["all"]
    assert 0.0 <= metrics["faithfulness"] <= 1.0
    assert metrics["citation_validity"] == 1.0
