"""POST /v1/search: ranked chunks for a query (the rows of `assistant search --json`)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from assistant.api.deps import ServicesDep, StateDep
from assistant.api.errors import ApiError, SafeJSONResponse
from assistant.api.routers.responses import AUTHED, errors
from assistant.api.schemas import SearchRequest, SearchResponse, has_text

router = APIRouter(tags=["search"])


@router.post(
    "/search",
    response_model=SearchResponse,
    summary="Ranked chunks for a query",
    responses=errors(*AUTHED),
)
async def search(body: SearchRequest, services: ServicesDep, state: StateDep) -> Response:
    """The `k` best chunks for `query`, best first, with fused and raw scores."""
    limit = state.settings.server.max_question_chars
    if not has_text(body.query):
        raise ApiError(422, "invalid_query", "The query is empty. Write what to search for.")
    if len(body.query) > limit:
        raise ApiError(
            422,
            "invalid_query",
            f"The query is {len(body.query)} characters; the limit is {limit}. Shorten it.",
        )
    filters = body.filters.to_filters() if body.filters else None
    hits = await state.run(
        services.retriever.search, body.query, k=body.k, mode=body.mode, filters=filters
    )
    rows = [hit.to_dict(services.index) for hit in hits]
    return SafeJSONResponse({"query": body.query, "results": rows})
