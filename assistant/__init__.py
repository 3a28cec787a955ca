"""Kreftstrategi-assistenten: grounded answers over Norway's national cancer strategy.

The public API is small: settings, the launcher that wires the services, and the
types a caller receives. Names are imported on first use, so importing this package
(or any of its modules) loads no model, reads no index and pulls in no heavy library.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "Answer": "assistant.answer.models",
    "AnswerService": "assistant.answer.service",
    "Citation": "assistant.answer.models",
    "FilterError": "assistant.retrieval.hybrid",
    "Filters": "assistant.retrieval.hybrid",
    "HybridRetriever": "assistant.retrieval.hybrid",
    "ModeUnavailableError": "assistant.answer.service",
    "QuestionError": "assistant.answer.service",
    "Services": "assistant.launcher",
    "Settings": "assistant.settings",
    "Turn": "assistant.answer.models",
    "as_retriever": "assistant.launcher",
    "get_settings": "assistant.settings",
    "ingest": "assistant.launcher",
    "load_services": "assistant.launcher",
}

__all__ = [
    "Answer",
    "AnswerService",
    "Citation",
    "FilterError",
    "Filters",
    "HybridRetriever",
    "ModeUnavailableError",
    "QuestionError",
    "Services",
    "Settings",
    "Turn",
    "as_retriever",
    "get_settings",
    "ingest",
    "load_services",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")


def __dir__() -> list[str]:
    return [*globals(), *__all__]
