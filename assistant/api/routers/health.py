"""/healthz (the process is up) and /readyz (the index is loaded); GET or HEAD, no key needed."""

from __future__ import annotations

from anyio import to_thread
from fastapi import APIRouter

from assistant.api.deps import StateDep
from assistant.api.routers.responses import errors
from assistant.api.schemas import Health, ReaderStatus, Ready
from assistant.data_folder import unwritable_reason

router = APIRouter(tags=["health"])

DATA_DIR_UNWRITABLE = (
    "The data folder is not writable ({reason}): feedback and API key changes cannot be "
    "saved. Fix its permissions or set ASSISTANT_SERVER__DATA_DIR."
)


@router.get("/healthz", response_model=Health, summary="The process is up", responses=errors(400))
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz", response_model=Ready, summary="The index is loaded", responses=errors(400, 503)
)
async def readyz(state: StateDep) -> Ready:
    """200 with the build that answers and why; 503 with what to run when there is no index.

    When the build in service on disk is damaged, an older complete build answers:
    `passed_over` names the damaged one and `reason` says what is wrong with it.
    """
    services = state.holder.current()
    index = services.index
    unwritable = await to_thread.run_sync(unwritable_reason, state.settings.server.data_dir)
    warnings = [index.fallback_notice] if index.fallback_notice else []
    if services.answers.learned_notice:
        warnings.append(services.answers.learned_notice)
    if unwritable:
        warnings.append(DATA_DIR_UNWRITABLE.format(reason=unwritable))
    if index.passed_over is not None:
        reason = (
            f"The build in service, {index.passed_over.build.name}, is damaged "
            f"({index.passed_over}); {index.path.name} is the newest complete build that verifies."
        )
    else:
        reason = "It is the build in service on disk, and its files match its manifest."
    return Ready(
        status="ready",
        build=index.path.name,
        documents=services.catalogue.sizes[0],
        chunks=services.catalogue.sizes[1],
        passed_over=index.passed_over.build.name if index.passed_over else None,
        reason=reason,
        data_dir_writable=unwritable is None,
        warnings=warnings,
        reader=ReaderStatus(**services.answers.reader_status()),
    )


# HEAD-based probes: the same answers, without a body (not repeated in the schema).
router.add_api_route("/healthz", healthz, methods=["HEAD"], include_in_schema=False)
router.add_api_route("/readyz", readyz, methods=["HEAD"], include_in_schema=False)
