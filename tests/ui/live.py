"""A real server and a real browser for the chat's tests: uvicorn on loopback, Chromium."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.launcher import Services
from assistant.stores.feedback import FeedbackStore
from tests.support.live_server import live_server as serving

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "LiveChat", "serving"]

CHROMIUM = Path("/usr/bin/chromium")
# This machine has no network: nothing in Chromium may try to reach it.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass(frozen=True)
class LiveChat:
    """A running chat server: where it is, where its feedback goes, what it serves."""

    url: str
    feedback: FeedbackStore
    services: Services
