"""Fixtures for the single-machine stores."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.stores.feedback import FeedbackStore


@pytest.fixture
def feedback_store(tmp_path: Path) -> FeedbackStore:
    """An empty feedback store of its own."""
    return FeedbackStore.in_folder(tmp_path)
