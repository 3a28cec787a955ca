"""A real uvicorn server on loopback for the API's tests, and the client with keys."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.testclient import TestClient

from tests.support.live_server import live_server

__all__ = ["LOCAL", "TEST_HOSTS", "Keyed", "live_server"]

TEST_HOSTS = ["localhost", "127.0.0.1", "::1", "testserver"]
"""The loopback names, and the one TestClient sends by default (``http://testserver``)."""
LOCAL = "http://localhost"
"""A TestClient base URL a loopback server's default host check allows."""


@dataclass
class Keyed:
    """A client of an app that requires keys, with a user key and an admin key."""

    client: TestClient
    key: str
    admin_key: str

    def auth(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.key}"}
