"""GET /v1/goals: the målområder and tiårsmål registry read from the strategy."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from assistant.api.deps import ServicesDep
from assistant.api.routers.responses import AUTHED, errors
from assistant.api.schemas import GoalsResponse

router = APIRouter(tags=["goals"])


@router.get(
    "/goals",
    response_model=GoalsResponse,
    summary="Målområder and tiårsmål",
    responses=errors(*AUTHED),
)
async def goals(services: ServicesDep) -> dict[str, Any]:
    """Every målområde and tiårsmål with its number, title, page and span in its document."""
    return services.catalogue.goals.to_dict()
