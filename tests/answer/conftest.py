"""Fixtures for the answer service: real services over the session's index."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.components.embedding import E5Embedding
from assistant.launcher import Services, load_services
from tests.conftest import CORPUS, settings_for


@pytest.fixture(scope="session")
def services(index_dir: Path, e5_embedder: E5Embedding) -> Services:
    """Index, retriever and answer service loaded once, as `assistant serve` does."""
    return load_services(settings_for(CORPUS, index_dir), embedder=e5_embedder)
