"""The chat shell: a Gradio page over the answer service, mounted into FastAPI.

Importing this package loads nothing heavy; Gradio is imported when the chat
is mounted (:func:`ui.app.mount_chat`).
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_chat_app", "mount_chat"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from ui import app

        return getattr(app, name)
    raise AttributeError(f"module 'ui' has no attribute {name!r}")
