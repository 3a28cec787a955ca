"""POST /v1/admin/reload: put a new index build in service without a restart (admin key)."""

from __future__ import annotations

from anyio import to_thread
from fastapi import APIRouter

from assistant.api.deps import AdminDep, StateDep
from assistant.api.routers.responses import errors
from assistant.api.schemas import ReloadResponse

router = APIRouter(tags=["admin"])


@router.post(
    "/admin/reload",
    response_model=ReloadResponse,
    summary="Load the newest index build",
    responses=errors(400, 401, 403, 409, 413, 429),
)
async def reload(state: StateDep, caller: AdminDep) -> ReloadResponse:
    """Load the build `assistant ingest` put in service, then swap it in atomically.

    Requests in flight finish on the build they started with; a build that cannot
    be loaded leaves the current one in service (409).
    """
    result = await to_thread.run_sync(state.holder.reload)
    return ReloadResponse(
        status=result.status,
        build=result.build,
        previous_build=result.previous_build,
        documents=result.documents,
        chunks=result.chunks,
    )
