"""The services in service, swapped whole when a new index build is picked up.

A reload loads the new build completely beside the old one (with the same
embedder, so no model is loaded twice) and only then replaces the reference.
A request takes the reference once, so in-flight requests finish on the build
they started with and no request ever sees a half-loaded index.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from typing import Any, Literal

from assistant.api.errors import ApiError
from assistant.components.database import DatabaseError
from assistant.index.store import (
    IndexDamagedError,
    IndexMismatchError,
    IndexMissingError,
    IndexNotReadyError,
)
from assistant.launcher import Services, load_services, serving_build
from assistant.settings import Settings

log = logging.getLogger("assistant.api")

NOT_READY = (
    "The index is not loaded. Run `assistant ingest` to build it, then reload "
    "(POST /v1/admin/reload with an admin key) or restart the server."
)
WARM_UP_QUESTION = "Hva er tiårsmål 1?"
"""Answered once before a build goes into service: warms it up and proves it answers."""
MISMATCH = (
    "The index was built with another embedder or format. Run `assistant ingest` with the "
    "configured embedder, then reload."
)


@dataclasses.dataclass(frozen=True)
class ReloadResult:
    status: Literal["reloaded", "unchanged"]
    build: str
    previous_build: str | None
    documents: int
    chunks: int


class ServicesHolder:
    """Holds the current :class:`Services`; thread-safe, one reload at a time."""

    def __init__(self, settings: Settings, services: Services | None = None):
        self.settings = settings
        self._shared_conversations = None
        if settings.database.dsn():
            # replicas share conversations through the database, whoever loaded the services
            from assistant.database import conversation_store

            self._shared_conversations = conversation_store(settings)
            if services is not None:
                services = dataclasses.replace(services, conversations=self._shared_conversations)
        self._services = services
        self._problem = NOT_READY
        self._problem_code = "index_not_ready"
        self._reload_lock = threading.Lock()

    @property
    def services(self) -> Services | None:
        return self._services

    def current(self) -> Services:
        """The services in service; ApiError 503 when none are loaded ('index_not_ready', or
        'database_unavailable' when the index could not be read from the database)."""
        services = self._services
        if services is None:
            raise ApiError(503, self._problem_code, self._problem)
        return services

    def load(
        self, build_if_missing: bool = False, progress: Callable[[int, str], Any] | None = None
    ) -> None:
        """Load at start-up; an index problem leaves the holder empty (readyz says why).

        A damaged build in service is passed over for the newest older one that
        verifies (said in the log and in /readyz).
        """
        try:
            services = load_services(
                self.settings,
                build_if_missing=build_if_missing,
                progress=progress,
                conversations=self._shared_conversations,
            )
            services.answers.answer(WARM_UP_QUESTION)
            self._services = services
            if services.index.fallback_notice:
                log.warning("%s", services.index.fallback_notice)
        except IndexNotReadyError as exc:
            self._problem, self._problem_code = _problem(exc), "index_not_ready"
            log.warning("Serving without an index: %s", exc)
        except DatabaseError as exc:  # the watcher tries again every database.poll_s
            self._problem, self._problem_code = str(exc), "database_unavailable"
            log.error("Serving without an index: %s", exc)

    def reload(self) -> ReloadResult:
        """Swap in the build that is current on disk, unless it is the one already served.

        Nothing is passed over here: a damaged new build is refused (409
        ``index_damaged``, naming the file) and the build served stays.
        """
        with self._reload_lock:
            old = self._services
            try:
                build = serving_build(self.settings)
            except IndexMissingError as exc:
                raise ApiError(409, "index_missing", NOT_READY) from exc
            previous = old.index.path.name if old is not None else None
            if old is not None and build == old.index.path.name:
                return ReloadResult("unchanged", build, previous, *_size(old))
            try:
                new = load_services(
                    self.settings, embedder=old.embedder if old else None, fallback=False
                )
                new.answers.answer(WARM_UP_QUESTION)
            except IndexNotReadyError as exc:
                log.warning("Reload refused: %s", exc)
                raise ApiError(409, _code(exc), _reload_refusal(exc, previous)) from exc
            except Exception as exc:
                log.exception("The new index build failed to load or to answer a test question")
                raise ApiError(
                    409,
                    "index_unusable",
                    "The new index could not answer a test question; the current one stays "
                    "in service. See the server log.",
                ) from exc
            if old is not None:
                new = dataclasses.replace(new, conversations=old.conversations)
            self._services = new
            log.info("Reloaded the index: %s → %s", previous, new.index.path.name)
            return ReloadResult("reloaded", new.index.path.name, previous, *_size(new))

    def watch(self, stop: threading.Event) -> None:
        """Until ``stop`` is set: every ``database.poll_s`` take up a new current build.

        For servers sharing a database: an ingest on any host makes its build current,
        and every replica loads it (as ``POST /v1/admin/reload`` does) without a restart.
        """
        while not stop.wait(self.settings.database.poll_s):
            try:
                if self._services is None:
                    self.load()
                else:
                    result = self.reload()
                    if result.status == "reloaded":
                        log.info("Took up the new current build %s", result.build)
            except ApiError as exc:
                log.warning("The new current build was not taken up: %s", exc.message)
            except DatabaseError:
                pass  # said once in the log when it failed, and again when it answers
            except Exception:
                log.exception("Checking the database for a new index build failed")


def _code(exc: IndexNotReadyError) -> str:
    if isinstance(exc, IndexDamagedError):
        return "index_damaged"
    return "index_mismatch" if isinstance(exc, IndexMismatchError) else "index_missing"


def _damaged(exc: IndexDamagedError) -> str:
    return f"The index build {exc.damage.build.name} is damaged: {exc.damage}."


def _problem(exc: IndexNotReadyError) -> str:
    """What /readyz says when no build could be loaded at start-up."""
    if isinstance(exc, IndexDamagedError):
        return (
            f"{_damaged(exc)} No older complete build verifies. Run `assistant ingest` to "
            "rebuild the index, then reload (POST /v1/admin/reload) or restart the server."
        )
    return MISMATCH if isinstance(exc, IndexMismatchError) else NOT_READY


def _reload_refusal(exc: IndexNotReadyError, serving: str | None) -> str:
    stays = f"the build {serving} stays in service" if serving else "nothing is served yet"
    if isinstance(exc, IndexDamagedError):
        return f"{_damaged(exc)} Not loaded; {stays}. Run `assistant ingest` to rebuild it."
    return MISMATCH if isinstance(exc, IndexMismatchError) else NOT_READY


def _size(services: Services) -> tuple[int, int]:
    return services.catalogue.sizes
