"""The OpenAPI schema: FastAPI's, plus what only the running app knows.

Added to what FastAPI derives from the models: the valid filter values and
answer modes of the index in service (as enums, so clients see them), the
question length limit from the settings, and the event schemas of the two
streams (one schema per server-sent event, its ``data`` being JSON).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from assistant.api.holder import ServicesHolder
from assistant.api.openai_schemas import ChatCompletionChunk
from assistant.api.schemas import VISIBLE_TEXT, AnswerDelta
from assistant.launcher import Services
from assistant.settings import Settings

REF = "#/components/schemas/{model}"


def _json_data(model: str) -> dict[str, Any]:
    return {
        "type": "string",
        "contentMediaType": "application/json",
        "contentSchema": {"$ref": REF.format(model=model)},
    }


def _event(name: str, model: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["event", "data"],
        "properties": {"event": {"const": name}, "data": _json_data(model)},
    }


ASK_EVENT = {
    "anyOf": [
        _event("delta", "AnswerDelta"),
        _event("final", "AskResponse"),
        _event("error", "ErrorResponse"),
    ]
}
CHAT_EVENT = {
    "type": "object",
    "required": ["data"],
    "properties": {"data": {"anyOf": [{"const": "[DONE]"}, _json_data("ChatCompletionChunk")]}},
}


def _add_models(components: dict[str, Any], *models: type[BaseModel]) -> None:
    for model in models:
        schema = model.model_json_schema(ref_template=REF, mode="serialization")
        for name, definition in schema.pop("$defs", {}).items():
            components.setdefault(name, definition)
        components.setdefault(model.__name__, schema)


def _stream(schema: dict[str, Any], path: str, event: dict[str, Any]) -> None:
    content = schema["paths"][path]["post"]["responses"]["200"]["content"]
    content["text/event-stream"]["schema"] = event


def _text(limit: int) -> dict[str, Any]:
    return {"pattern": VISIBLE_TEXT, "maxLength": limit}


def _restrict(components: dict[str, Any], services: Services | None, settings: Settings) -> None:
    limit = settings.server.max_question_chars
    components["AskRequest"]["properties"]["question"].update(_text(limit))
    components["SearchRequest"]["properties"]["query"].update(_text(limit))
    if services is None:
        return
    catalogue = services.catalogue
    filters = components["FilterSpec"]["properties"]
    filters["kinds"]["items"]["enum"] = catalogue.kinds()
    filters["document_ids"]["items"]["enum"] = [d.id for d in catalogue.documents()]
    filters["malomrader"]["items"]["enum"] = sorted(m.number for m in catalogue.goals.malomrader)
    modes = ["extractive"] + (["llm"] if services.answers.chat_model is not None else [])
    components["AskRequest"]["properties"]["mode"]["anyOf"][0]["enum"] = modes


def build_openapi(app: FastAPI, services: Services | None, settings: Settings) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    _add_models(components, AnswerDelta, ChatCompletionChunk)
    _stream(schema, "/v1/ask", ASK_EVENT)
    _stream(schema, "/v1/chat/completions", CHAT_EVENT)
    _restrict(components, services, settings)
    return schema


def install_openapi(app: FastAPI, holder: ServicesHolder, settings: Settings) -> None:
    """Serve the schema of the build in service; rebuilt when a reload changes the build."""
    cache: dict[str | None, dict[str, Any]] = {}

    def openapi() -> dict[str, Any]:
        services = holder.services
        build = services.index.path.name if services is not None else None
        if build not in cache:
            cache.clear()
            cache[build] = build_openapi(app, services, settings)
        return cache[build]

    app.openapi = openapi  # type: ignore[method-assign]
