"""GET /metrics: the Prometheus text format (the series: ``assistant.api.metrics``).

Open on loopback, an admin key elsewhere, or off (``ASSISTANT_SERVER__METRICS``);
the app includes this router accordingly.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from assistant.api.deps import StateDep
from assistant.api.routers.responses import errors

router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}, **errors(400)},
)
async def metrics(state: StateDep) -> Response:
    """Requests, answer latency, abstentions, the build in service, database availability,
    rate-limit refusals: the Prometheus text exposition format."""
    body, content_type = state.metrics.exposition()
    return Response(body, media_type=content_type)
