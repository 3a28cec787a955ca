"""A real uvicorn server on loopback for the API's tests, and the client with keys."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.testclient import TestClient

from tests.support.live_server import live_server

__all__ = ["Keyed", "live_server"]


@dataclass
class Keyed:
    """A client of an app that requires keys, with a user key and an admin key."""

    client: TestClient
    key: str
    admin_key: str

    def auth(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.key}"}


