"""A real uvicorn server on a free loopback port, for tests that need one."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.support.llm_server import free_loopback_port


@contextmanager
def live_server(app: Any, timeout_s: float = 30.0) -> Iterator[str]:
    """Serve ``app`` (lifespan on) with uvicorn in a thread on 127.0.0.1; yield its base URL."""
    import uvicorn

    port = free_loopback_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, lifespan="on", log_level="warning", access_log=False
        )
    )
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=timeout_s)
