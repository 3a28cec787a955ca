"""API keys: shown once, stored hashed, checked on every /v1 request, revocable at once."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.api.security import allowed_hosts, is_loopback, open_access
from assistant.settings import ServerSettings
from assistant.stores.keys import KEYS_FILE, KeyStore, KeyStoreError
from tests.api.live import Keyed

QUESTION = {"question": "Hva er tiårsmål 2?"}


def test_a_key_is_stored_only_as_a_hash(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    key = store.create("helse-bergen")

    raw = (tmp_path / KEYS_FILE).read_bytes()
    assert key.startswith("kst_")
    assert len(key) > 40
    assert key.encode() not in raw
    with sqlite3.connect(tmp_path / KEYS_FILE) as db:
        (stored,) = db.execute("SELECT key_hash FROM api_keys").fetchone()
    assert len(stored) == 64
    assert stored not in key
    assert store.verify(key) is not None
    assert store.verify(key).name == "helse-bergen"
    assert store.verify(key + "x") is None


def test_keys_are_listed_without_secrets_and_revoked_by_name(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    first = store.create("a")
    store.create("b", admin=True)
    store.revoke("a")

    listed = {k.name: k for k in store.list_keys()}
    assert listed["a"].revoked_at is not None
    assert not listed["a"].admin
    assert listed["b"].revoked_at is None
    assert listed["b"].admin
    assert store.verify(first) is None
    with pytest.raises(KeyStoreError, match="No active key"):
        store.revoke("a")
    with pytest.raises(KeyStoreError, match="exists"):
        store.create("b")
    with pytest.raises(KeyStoreError, match="key name"):
        store.create("")


def test_a_revocation_by_another_process_takes_effect_at_once(tmp_path: Path) -> None:
    serving = KeyStore(tmp_path)
    key = KeyStore(tmp_path).create("partner")
    assert serving.verify(key) is not None

    KeyStore(tmp_path).revoke("partner")  # e.g. `assistant keys revoke` in a shell

    assert serving.verify(key) is None


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("10.0.0.5", False),
        ("::", False),
        ("example.org", False),
    ],
)
def test_open_access_by_default_only_on_loopback(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected
    assert open_access(ServerSettings(host=host)) is expected
    assert open_access(ServerSettings(host=host, open_access=True)) is True
    assert open_access(ServerSettings(host=host, open_access=False)) is False


def test_requests_without_a_key_get_401_when_keys_are_required(keyed: Keyed) -> None:
    response = keyed.client.post("/v1/ask", json=QUESTION)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "missing_api_key"
    assert "Authorization: Bearer" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Bearer kst_not-a-real-key", "invalid_api_key"),
        ("Basic dXNlcjpwYXNz", "invalid_authorization"),
        ("Bearer", "invalid_authorization"),
    ],
)
def test_a_wrong_key_gets_401_and_never_sees_the_key_echoed(
    keyed: Keyed, header: str, code: str
) -> None:
    response = keyed.client.post("/v1/ask", json=QUESTION, headers={"Authorization": header})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == code
    assert "kst_not" not in response.text


def test_a_valid_key_is_served_on_every_v1_endpoint(keyed: Keyed) -> None:
    auth = keyed.auth()
    calls = [
        ("post", "/v1/ask", QUESTION),
        ("post", "/v1/search", {"query": "HPV"}),
        ("get", "/v1/documents", None),
        ("get", "/v1/documents/hub-om", None),
        ("get", "/v1/goals", None),
        ("get", "/v1/models", None),
        (
            "post",
            "/v1/chat/completions",
            {
                "model": "kreftstrategi",
                "messages": [{"role": "user", "content": "Hva er tiårsmål 2?"}],
            },
        ),
    ]
    for method, path, body in calls:
        without = getattr(keyed.client, method)(path, **({"json": body} if body else {}))
        with_key = getattr(keyed.client, method)(
            path, headers=auth, **({"json": body} if body else {})
        )
        assert without.status_code == 401, path
        assert with_key.status_code == 200, path


def test_a_revoked_key_is_refused_by_the_running_app(keyed: Keyed, tmp_path: Path) -> None:
    assert keyed.client.post("/v1/ask", json=QUESTION, headers=keyed.auth()).status_code == 200

    KeyStore(tmp_path / "data").revoke("helse-bergen")

    response = keyed.client.post("/v1/ask", json=QUESTION, headers=keyed.auth())
    assert response.status_code == 401


def test_open_access_serves_any_bearer_value_but_a_revoked_key(
    make_app: Callable[..., FastAPI], tmp_path: Path
) -> None:
    """OpenAI clients must send some key; on an open server anything but a revoked key does."""
    store = KeyStore(tmp_path / "data")
    revoked = store.create("old-partner")
    store.revoke("old-partner")

    with TestClient(make_app(open_access=True)) as client:
        assert client.post("/v1/ask", json=QUESTION).status_code == 200
        anything = client.post("/v1/ask", json=QUESTION, headers={"Authorization": "Bearer kst_x"})
        refused = client.post(
            "/v1/ask", json=QUESTION, headers={"Authorization": f"Bearer {revoked}"}
        )

    assert anything.status_code == 200
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_api_key"


def test_wrong_keys_are_slowed_down_per_address_and_logged(
    keyed: Keyed, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = {"Authorization": "Bearer kst_guess"}
    with caplog.at_level("WARNING", logger="assistant.api"):
        statuses = [
            keyed.client.post("/v1/ask", json=QUESTION, headers=wrong).status_code for _ in range(6)
        ]
    blocked = keyed.client.post("/v1/ask", json=QUESTION, headers=keyed.auth())

    assert statuses == [401] * 5 + [429]
    assert blocked.status_code == 429  # while blocked, no key is tried at all
    assert blocked.json()["error"]["code"] == "too_many_failed_keys"
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    refusals = [r.getMessage() for r in caplog.records if "Refused an API key" in r.getMessage()]
    assert len(refusals) == 5
    assert all("testclient" in line and "kst_guess" not in line for line in refusals)


def test_the_failed_key_limit_is_a_setting(make_app: Any) -> None:
    wrong = {"Authorization": "Bearer kst_guess"}
    with TestClient(make_app(open_access=False, failed_auth_per_minute=2)) as client:
        statuses = [
            client.post("/v1/ask", json=QUESTION, headers=wrong).status_code for _ in range(3)
        ]
    assert statuses == [401, 401, 429]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("localhost", True),
        ("localhost:8000", True),
        ("127.0.0.1:8000", True),
        ("[::1]:8000", True),
        ("LOCALHOST", True),
        ("evil.example", False),
        ("evil.example:8000", False),
        ("127.0.0.1.evil.example", False),
        ("", False),
    ],
)
def test_a_loopback_server_answers_only_loopback_host_names(
    make_app: Any, host: str, allowed: bool
) -> None:
    """Against DNS rebinding: a hostile page's requests carry its own host name."""
    app = make_app(open_access=True, host="127.0.0.1", allowed_hosts=None, chat=True)
    with TestClient(app, base_url="http://localhost") as client:
        response = client.get("/v1/goals", headers={"Host": host})
        page = client.get("/chat/", headers={"Host": host})

    if allowed:
        assert response.status_code == 200
        assert page.status_code == 200
    else:
        assert response.status_code == 400
        assert page.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "invalid_host"
        assert "ASSISTANT_SERVER__ALLOWED_HOSTS" in error["message"]
        assert "evil" not in response.text


def test_allowed_host_names_are_a_setting(make_app: Any) -> None:
    app = make_app(open_access=True, allowed_hosts=["kreft.example.org", "*.helse.no"])
    with TestClient(app, base_url="http://localhost") as client:
        statuses = {
            host: client.get("/healthz", headers={"Host": host}).status_code
            for host in ("kreft.example.org", "intern.helse.no", "helse.no", "localhost")
        }
    assert statuses == {
        "kreft.example.org": 200,
        "intern.helse.no": 200,
        "helse.no": 200,
        "localhost": 400,
    }


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        (ServerSettings(host="127.0.0.1"), ["localhost", "127.0.0.1", "::1"]),
        (ServerSettings(host="0.0.0.0"), ["*"]),
        (ServerSettings(host="0.0.0.0", allowed_hosts=["api.example"]), ["api.example"]),
    ],
)
def test_default_allowed_hosts(server: ServerSettings, expected: list[str]) -> None:
    assert allowed_hosts(server) == expected


def test_the_data_folder_and_key_store_are_private(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "data")
    store.create("helse-bergen")
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "data" / KEYS_FILE).stat().st_mode) == 0o600


def test_a_key_store_left_readable_by_an_older_version_is_narrowed(tmp_path: Path) -> None:
    KeyStore(tmp_path).create("a")
    os.chmod(tmp_path / KEYS_FILE, 0o644)
    KeyStore(tmp_path).create("b")
    assert stat.S_IMODE((tmp_path / KEYS_FILE).stat().st_mode) == 0o600


def test_an_unusable_key_store_is_a_one_line_error_naming_the_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cli_env: None
) -> None:
    from assistant.cli import main

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder's parent should be")
    data = blocker / "data"
    codes = [
        main(["keys", "create", "--name", "partner", "--data-dir", str(data)]),
        main(["keys", "revoke", "partner", "--data-dir", str(data)]),
    ]
    err = capsys.readouterr().err.splitlines()

    assert codes == [2, 2]
    assert len(err) == 2
    for line in err:
        assert line.startswith(f"assistant: The API key store in {data} cannot be used")
        assert "--data-dir" in line
        assert "Traceback" not in line
