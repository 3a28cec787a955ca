"""The HTTP API over the answer service: ``create_app(settings, services)``.

Importing this package is cheap: FastAPI and the services are imported when
``create_app`` is first looked up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.api.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from assistant.api.app import create_app

        return create_app
    raise AttributeError(f"module 'assistant.api' has no attribute {name!r}")
