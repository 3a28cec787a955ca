"""The import graph points one way: corpus → ingest → index → retrieval → answer → shells.

A stage may import the stages before it and the shared parts below them (components,
settings, language), never a stage after it; no module imports itself in a circle, and
no package does either (the shells share a layer, so that is what keeps them apart). The
store contracts (``assistant.stores``) sit below both the API and the database backend.
Lazy imports inside functions count too: they are dependencies all the same.
"""

from __future__ import annotations

import graphlib

import grimp
import pytest

# Highest first: a layer may import the layers below it, never those above.
LAYERS: list[grimp.Layer | str] = [
    grimp.Layer(
        "assistant.api",
        "assistant.cli",
        "assistant.evaluation",
        "assistant.reader",
        "ui",
        independent=False,
    ),
    "assistant.database",
    "assistant.launcher",
    "assistant.stores",
    "assistant.answer",
    "assistant.retrieval",
    "assistant.index",
    "assistant.ingest",
    "assistant.corpus",
    "assistant.components",
    grimp.Layer(
        "assistant.settings", "assistant.language", "assistant.data_folder", independent=False
    ),
]


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("assistant", "ui")


def test_no_stage_imports_a_later_stage(graph: grimp.ImportGraph) -> None:
    illegal = graph.find_illegal_dependencies_for_layers(layers=LAYERS)
    chains = sorted(
        f"{dep.importer} imports {dep.imported}: "
        + "; ".join(
            " → ".join([min(route.heads), *route.middle, min(route.tails)]) for route in dep.routes
        )
        for dep in illegal
    )
    assert not chains, "\n".join(chains)


def test_every_part_of_the_package_is_in_a_layer(graph: grimp.ImportGraph) -> None:
    layered = {
        name
        for layer in LAYERS
        for name in (layer.module_tails if isinstance(layer, grimp.Layer) else {layer})
    }
    parts = {m for m in graph.modules if m.startswith("assistant.") and m.count(".") == 1}
    assert parts <= layered, sorted(parts - layered)


def test_no_module_imports_itself_in_a_circle(graph: grimp.ImportGraph) -> None:
    imports = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    try:
        graphlib.TopologicalSorter(imports).prepare()
    except graphlib.CycleError as cycle:
        pytest.fail(f"import cycle: {' → '.join(cycle.args[1])}")


def _package(module: str) -> str:
    """The top-level part a module belongs to: ``assistant.api.routers.ask`` → ``assistant.api``."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "assistant" and len(parts) > 1 else parts[0]


def test_no_package_imports_itself_in_a_circle(graph: grimp.ImportGraph) -> None:
    imports: dict[str, set[str]] = {}
    for module in graph.modules:
        package = _package(module)
        imported = {_package(m) for m in graph.find_modules_directly_imported_by(module)}
        imports.setdefault(package, set()).update(imported - {package})
    try:
        graphlib.TopologicalSorter(imports).prepare()
    except graphlib.CycleError as cycle:
        pytest.fail(f"packages import each other: {' → '.join(cycle.args[1])}")
