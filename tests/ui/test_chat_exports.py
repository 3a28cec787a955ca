"""The public names of the chat and the stores packages, and that importing them is light."""

from __future__ import annotations

import subprocess
import sys

import assistant.stores
import ui


def test_public_names() -> None:
    assert sorted(ui.__all__) == ["create_chat_app", "mount_chat"]
    assert callable(ui.mount_chat)
    assert {"ConversationStore", "FeedbackStore", "KeyStore", "RateLimiter"} <= set(
        assistant.stores.__all__
    )
    for name in assistant.stores.__all__:
        assert getattr(assistant.stores, name) is not None


def test_the_cli_registration_does_not_import_gradio() -> None:
    # `assistant <anything>` imports ui.cli to register its subcommands.
    code = "import sys, ui, ui.cli; print('gradio' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
