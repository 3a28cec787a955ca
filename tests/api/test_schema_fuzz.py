"""Schemathesis fuzzes the OpenAPI schema: nothing a client sends yields a 5xx.

Positive and negative cases (wrong types, missing fields, out-of-range values,
odd Unicode) for every operation, checked with schemathesis's default checks:
no server error, status codes, content types and bodies as documented, invalid
data rejected, valid data accepted. Bounded: 30 examples per operation and
mode, derandomized (the same cases every run), no shrinking.

Cases are drawn from ``operation.as_strategy`` inside a plain Hypothesis test:
schemathesis's pytest loader for fixtures (``from_fixture``) does not run on
pytest 9 (it sets ``Function._nodeid``, which pytest 9 no longer has).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from assistant.api.app import create_app
from assistant.launcher import Services
from assistant.stores.keys import KeyStore
from tests.api.live import TEST_HOSTS

# The one rule a JSON schema cannot state: the last message must be the user's, with text.
UNSTATED_RULES = {("POST", "/v1/chat/completions"): [positive_data_acceptance]}
WITH_INPUT = {
    ("POST", "/v1/ask"),
    ("POST", "/v1/search"),
    ("GET", "/v1/documents/{document_id}"),
    ("POST", "/v1/chat/completions"),
}
OPERATIONS = [
    ("POST", "/v1/ask"),
    ("POST", "/v1/search"),
    ("GET", "/v1/documents"),
    ("GET", "/v1/documents/{document_id}"),
    ("GET", "/v1/goals"),
    ("GET", "/v1/models"),
    ("POST", "/v1/chat/completions"),
    ("POST", "/v1/admin/reload"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
]


@pytest.fixture(scope="module")
def fuzzed(
    api_services: Services, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Any, dict[str, str]]]:
    """The app's schema (keys required, a rate limit the fuzzer cannot reach) and an admin key."""
    settings = api_services.settings.model_copy(deep=True)
    settings.server.data_dir = tmp_path_factory.mktemp("fuzz-data")
    settings.server.open_access = False
    settings.server.rate_limit_per_minute = 1_000_000
    settings.server.allowed_hosts = TEST_HOSTS
    key = KeyStore(Path(settings.server.data_dir)).create("fuzzer", admin=True)
    app: FastAPI = create_app(settings, api_services)
    with TestClient(app):  # runs the lifespan
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        checks = schema.config.checks
        # A body over the size limit is refused with 413, whatever its content.
        for check in (checks.negative_data_rejection, checks.positive_data_acceptance):
            check.expected_statuses = [*check.expected_statuses, "413"]
        yield schema, {"Authorization": f"Bearer {key}"}


@pytest.mark.slow
def test_every_operation_is_fuzzed(fuzzed: tuple[Any, dict[str, str]]) -> None:
    schema, _ = fuzzed
    documented = {(op.ok().method.upper(), op.ok().path) for op in schema.get_all_operations()}

    assert documented == set(OPERATIONS)


CASES = [(m, p, GenerationMode.POSITIVE) for m, p in OPERATIONS] + [
    (m, p, GenerationMode.NEGATIVE) for m, p in OPERATIONS if (m, p) in WITH_INPUT
]


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_no_request_yields_a_5xx_and_responses_match_the_schema(
    fuzzed: tuple[Any, dict[str, str]], method: str, path: str, mode: GenerationMode
) -> None:
    schema, headers = fuzzed
    operation = schema[path][method]
    excluded = UNSTATED_RULES.get((method, path), [])

    @settings(
        max_examples=30,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def fuzz(case: Any) -> None:
        response = case.call_and_validate(headers=dict(headers), excluded_checks=excluded)
        assert response.status_code < 500

    fuzz()
