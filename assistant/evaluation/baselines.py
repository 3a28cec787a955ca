"""Configurations an evaluation runs: the full pipeline and simpler baselines.

A configuration is a name and a set of :class:`~assistant.settings.Settings`
overrides (``{"retrieval": {"mode": "bm25"}}``), the same shape a ``--config``
TOML file has. Baselines that change how the corpus is chunked get their own
index under ``<index dir>/baselines/<name>``; its embedding cache stays there,
so a re-run only embeds what changed.
"""

from __future__ import annotations

import shutil
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from assistant.settings import Settings

Overrides = dict[str, dict[str, Any]]


class ConfigError(ValueError):
    """A settings override names an unknown section or field, or has a bad value."""


@dataclass(frozen=True)
class Configuration:
    """A named variation of the settings; ``own_index`` when it needs its own chunks."""

    name: str
    description: str
    overrides: Overrides = field(default_factory=dict)
    own_index: bool = False


FULL = Configuration("full", "the full pipeline with the configured settings")
BASELINES: tuple[Configuration, ...] = (
    Configuration(
        "fixed-chunks",
        "fixed-size windows instead of section-aware chunks",
        {"chunking": {"structure": False}},
        own_index=True,
    ),
    Configuration("bm25-only", "BM25 ranking only", {"retrieval": {"mode": "bm25"}}),
    Configuration("dense-only", "dense (e5) ranking only", {"retrieval": {"mode": "dense"}}),
    FULL,
)


TIERS: dict[str, Configuration] = {
    "extractive": Configuration(
        "extractive",
        "the reader alone: extractive answers, no judge",
        {"answer": {"mode": "extractive", "judge": "off", "reader": "extractive"}},
    ),
    "learned": Configuration(
        "learned",
        "the reader with the learned cross-encoder ranking units and deciding abstention",
        {"answer": {"mode": "extractive", "judge": "off", "reader": "learned"}},
    ),
    "judge": Configuration(
        "judge",
        "the reader with the LLM answerability judge",
        {"answer": {"mode": "extractive", "judge": "llm", "reader": "extractive"}},
    ),
    "llm": Configuration(
        "llm",
        "generated answers verified sentence by sentence (no judge)",
        {"answer": {"mode": "llm", "judge": "off"}},
    ),
}
"""The answering tiers ``assistant eval --tiers`` measures side by side (judge and llm need
the LLM endpoint: ``ASSISTANT_LLM__BASE_URL`` and ``ASSISTANT_LLM__MODEL``)."""


def parse_tiers(text: str) -> list[Configuration]:
    """The tiers named in a comma-separated list, in its order; ConfigError for an unknown one."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in TIERS]
    if unknown or not names:
        raise ConfigError(
            f"Unknown tier(s) {', '.join(unknown) or '(none given)'}: --tiers takes a "
            f"comma-separated list of {', '.join(TIERS)}."
        )
    return [TIERS[n] for n in dict.fromkeys(names)]


def read_overrides(path: Path) -> Overrides:
    """Settings overrides from a TOML file of sections, e.g. ``[retrieval] mode = "dense"``."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read as TOML ({exc}).") from exc
    for section, values in data.items():
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: '{section}' must be a [section] of settings.")
    return data


def with_overrides(settings: Settings, overrides: Overrides) -> Settings:
    """A validated copy of ``settings`` with overrides applied; ConfigError names a bad key."""
    updates: dict[str, BaseModel] = {}
    for section, values in overrides.items():
        current = getattr(settings, section, None)
        if section not in Settings.model_fields or not isinstance(current, BaseModel):
            known = ", ".join(Settings.model_fields)
            raise ConfigError(f"Unknown settings section '{section}'. Known sections: {known}.")
        fields = type(current).model_fields
        for key in values:
            if key not in fields:
                raise ConfigError(f"Unknown setting '{section}.{key}'. Known: {', '.join(fields)}.")
        try:
            updates[section] = type(current).model_validate({**current.model_dump(), **values})
        except ValidationError as exc:
            problems = "; ".join(
                f"{section}.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
            )
            raise ConfigError(f"Invalid setting: {problems}.") from exc
    return settings.model_copy(update=updates, deep=True)


def settings_for(configuration: Configuration, base: Settings) -> Settings:
    """The settings a configuration runs with; own-index baselines point at their own folder."""
    settings = with_overrides(base, configuration.overrides)
    if configuration.own_index:
        settings.index.dir = base.index.dir / "baselines" / configuration.name
    return settings


def prepare_index(
    configuration: Configuration,
    base: Settings,
    settings: Settings,
    embedder: Any,
    progress: Callable[[int, str], Any] | None = None,
) -> None:
    """(Re)build an own-index baseline's index; its warm cache makes this take seconds.

    A first build starts from the main index's embedding cache: sentence vectors
    do not depend on chunking, so only the new chunk texts are embedded.
    """
    if not configuration.own_index:
        return
    from assistant.launcher import ingest

    cache = settings.index.dir / "cache"
    if not cache.exists() and (base.index.dir / "cache").is_dir():
        shutil.copytree(
            base.index.dir / "cache", cache, ignore=shutil.ignore_patterns(".*", "*.tmp*")
        )
    ingest(settings, embedder, progress)


def describe(settings: Settings) -> dict[str, Any]:
    """The settings that shape results, for the report (no secrets, no server settings)."""
    return settings.model_dump(mode="json", exclude={"server": True, "llm": {"api_key"}})
