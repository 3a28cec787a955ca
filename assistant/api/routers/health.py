"""GET /healthz (the process is up) and GET /readyz (the index is loaded); no key needed."""

from __future__ import annotations

from fastapi import APIRouter

from assistant.api.deps import StateDep
from assistant.api.routers.responses import errors
from assistant.api.schemas import Health, Ready

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="The process is up")
async def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Ready, summary="The index is loaded", responses=errors(503))
async def readyz(state: StateDep) -> Ready:
    """200 with the build in service; 503 with what to run when there is no index."""
    services = state.holder.current()
    return Ready(
        status="ready",
        build=services.index.path.name,
        documents=len(services.index.documents),
        chunks=len(services.index.chunks),
    )
