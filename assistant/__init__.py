"""Kreftstrategi-assistenten: grounded answers over Norway's national cancer strategy.

The public API is small: settings, the launcher that wires the services, and the
types a caller receives. Importing this package loads no model and reads no index.
"""

from assistant.answer.models import Answer, Citation, Turn
from assistant.answer.service import AnswerService, ModeUnavailableError, QuestionError
from assistant.launcher import Services, ingest, load_services
from assistant.retrieval.hybrid import FilterError, Filters, HybridRetriever
from assistant.settings import Settings, get_settings

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
    "get_settings",
    "ingest",
    "load_services",
]
__version__ = "0.1.0"
