"""`assistant keys …` and `assistant serve` (uvicorn.run replaced, nothing binds a port)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.cli import main
from assistant.index.store import current_build
from assistant.stores.keys import KeyStore
from tests.api.live import LOCAL
from tests.support.damage import truncate, two_builds


@pytest.mark.usefixtures("cli_env")
def test_keys_create_prints_the_key_once_list_and_revoke(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(tmp_path / "data")

    assert main(["keys", "create", "--name", "helse-bergen", "--data-dir", data]) == 0
    key = capsys.readouterr().out.strip()
    assert main(["keys", "create", "--name", "ops", "--admin", "--data-dir", data]) == 0
    capsys.readouterr()
    assert main(["keys", "list", "--data-dir", data]) == 0
    listing = capsys.readouterr().out
    assert main(["keys", "revoke", "helse-bergen", "--data-dir", data]) == 0
    capsys.readouterr()
    assert main(["keys", "create", "--name", "ops", "--data-dir", data]) == 2
    duplicate = capsys.readouterr().err

    assert key.startswith("kst_")
    assert "helse-bergen\tuser" in listing
    assert "ops\tadmin" in listing
    assert key not in listing
    assert KeyStore(Path(data)).verify(key) is None
    assert "exists" in duplicate


@pytest.fixture
def serve_env(
    cli_env: None,
    monkeypatch: pytest.MonkeyPatch,
    corpus_dir: Path,
    warm_index_dir: Path,
    tmp_path: Path,
) -> dict[str, Any]:
    """`assistant serve` settings on an empty index folder; uvicorn.run records its call."""
    import uvicorn

    monkeypatch.setenv("ASSISTANT_CORPUS__DIR", str(corpus_dir))
    monkeypatch.setenv("ASSISTANT_INDEX__DIR", str(warm_index_dir))
    monkeypatch.setenv("ASSISTANT_SERVER__DATA_DIR", str(tmp_path / "data"))
    served: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: served.update(app=app, **kwargs))
    return served


@pytest.mark.slow
def test_serve_builds_the_missing_index_then_serves_on_loopback(
    serve_env: dict[str, Any], warm_index_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--port", "8123"]) == 0

    err = capsys.readouterr().err
    assert current_build(warm_index_dir).exists()
    assert "building it" in err
    assert "Open access" in err
    assert (serve_env["host"], serve_env["port"]) == ("127.0.0.1", 8123)
    with TestClient(serve_env["app"], base_url=LOCAL) as client:
        assert client.get("/readyz").json()["build"] == current_build(warm_index_dir).name
        assert client.post("/v1/ask", json={"question": "Hva er tiårsmål 2?"}).status_code == 200


@pytest.mark.slow
def test_serve_on_a_public_address_requires_keys(
    serve_env: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--host", "0.0.0.0"]) == 0  # uvicorn.run is replaced: nothing binds

    assert "keys are required but none exist" in capsys.readouterr().err
    with TestClient(serve_env["app"]) as client:
        assert client.post("/v1/ask", json={"question": "Hva er tiårsmål 2?"}).status_code == 401


@pytest.mark.slow
def test_serve_on_a_damaged_build_serves_the_previous_one_and_says_so_once(
    cli_env: None,
    monkeypatch: pytest.MonkeyPatch,
    index_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import uvicorn

    older, newer = two_builds(index_dir, tmp_path / "index")
    truncate(newer / "vectors.faiss")
    monkeypatch.setenv("ASSISTANT_INDEX__DIR", str(tmp_path / "index"))
    monkeypatch.setenv("ASSISTANT_SERVER__DATA_DIR", str(tmp_path / "data"))
    served: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: served.update(app=app))

    assert main(["serve"]) == 0

    notices = [line for line in capsys.readouterr().err.splitlines() if "damaged" in line]
    assert notices == [
        f"assistant: The index build {newer.name} is damaged (vectors.faiss has "
        f"{(newer / 'vectors.faiss').stat().st_size} bytes where the manifest lists "
        f"{(older / 'vectors.faiss').stat().st_size}); serving the previous build {older.name}. "
        "Run `assistant ingest` to rebuild."
    ]
    with TestClient(served["app"], base_url=LOCAL) as client:
        ready = client.get("/readyz").json()
    assert (ready["build"], ready["passed_over"]) == (older.name, newer.name)
