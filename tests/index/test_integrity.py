"""A damaged index build is noticed, named and passed over for the newest one that verifies.

Every test works on a copy of the session's index holding two builds: the
original (older) and an identical copy put in service as the newer one, which
the test then damages.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.components.embedding import E5Embedding
from assistant.index.integrity import MANIFEST, sha256_of
from assistant.index.store import IndexDamagedError, current_build, load_index
from tests.support.damage import flip_bytes, truncate, two_builds

QUESTION = "Hva er tiårsmål 1?"


def delete(path: Path) -> None:
    path.unlink()


DAMAGES: dict[str, Callable[[Path], None]] = {
    "truncated": truncate,
    "bytes flipped": flip_bytes,
    "deleted": delete,
}


def listed_files(build: Path) -> list[str]:
    manifest = json.loads((build / MANIFEST).read_text(encoding="utf-8"))
    return sorted(manifest["files"])


def test_the_manifest_lists_every_file_of_the_build_with_size_and_hash(index_dir: Path) -> None:
    build = current_build(index_dir)
    on_disk = sorted(p.relative_to(build).as_posix() for p in build.rglob("*") if p.is_file())
    manifest = json.loads((build / MANIFEST).read_text(encoding="utf-8"))
    assert sorted(manifest["files"]) == [name for name in on_disk if name != MANIFEST]
    assert any(name.startswith("bm25/") for name in manifest["files"])  # nested files too
    for name, entry in manifest["files"].items():
        assert entry == {"size": (build / name).stat().st_size, "sha256": sha256_of(build / name)}


@pytest.mark.slow
def test_each_damaged_file_makes_the_previous_build_serve(
    index_dir: Path, tmp_path: Path, e5_embedder: E5Embedding
) -> None:
    """Every listed file, truncated, changed in place or deleted, and a garbage manifest."""
    older, newer = two_builds(index_dir, tmp_path / "index")
    pristine = tmp_path / "pristine"
    shutil.copytree(newer, pristine)
    cases = [(name, damage) for name in listed_files(newer) for damage in DAMAGES]
    cases.append((MANIFEST, "garbage"))
    assert len(cases) >= 3 * 9 + 1
    for name, damage in cases:
        shutil.rmtree(newer)
        shutil.copytree(pristine, newer)
        if damage == "garbage":
            (newer / MANIFEST).write_text("{not json", encoding="utf-8")
        else:
            DAMAGES[damage](newer / name)

        loaded = load_index(newer.parent.parent, e5_embedder.embedder_id)

        case = f"{name} {damage}"
        assert loaded.path == older, case
        assert loaded.passed_over is not None, case
        assert loaded.passed_over.file == name, case
        notice = loaded.fallback_notice or ""
        assert "\n" not in notice, case
        assert notice.startswith(f"The index build {newer.name} is damaged ({name} "), case
        assert f"serving the previous build {older.name}" in notice, case
        assert "Run `assistant ingest`" in notice, case


def test_flipped_bytes_of_the_same_size_are_noticed(
    index_dir: Path, tmp_path: Path, e5_embedder: E5Embedding
) -> None:
    older, newer = two_builds(index_dir, tmp_path / "index")
    flip_bytes(newer / "vectors.faiss")
    loaded = load_index(tmp_path / "index", e5_embedder.embedder_id)
    assert loaded.path == older
    assert str(loaded.passed_over) == "vectors.faiss does not match its SHA-256 in the manifest"


def test_an_undamaged_build_is_served_without_a_notice(
    index_dir: Path, tmp_path: Path, e5_embedder: E5Embedding
) -> None:
    _, newer = two_builds(index_dir, tmp_path / "index")
    loaded = load_index(tmp_path / "index", e5_embedder.embedder_id)
    assert loaded.path == newer
    assert loaded.passed_over is None
    assert loaded.fallback_notice is None


def test_no_fallback_when_asked_names_the_file(
    index_dir: Path, tmp_path: Path, e5_embedder: E5Embedding
) -> None:
    _, newer = two_builds(index_dir, tmp_path / "index")
    (newer / "goals.json").unlink()
    with pytest.raises(IndexDamagedError) as caught:
        load_index(tmp_path / "index", e5_embedder.embedder_id, fallback=False)
    assert caught.value.damage.file == "goals.json"
    assert f"The index build {newer.name}" in str(caught.value)
    assert "goals.json is missing" in str(caught.value)


def test_without_a_verified_build_the_error_is_one_line(
    index_dir: Path, tmp_path: Path, e5_embedder: E5Embedding
) -> None:
    older, newer = two_builds(index_dir, tmp_path / "index")
    truncate(newer / "chunks.jsonl")
    flip_bytes(older / "sentence_vectors.npy")
    with pytest.raises(IndexDamagedError) as caught:
        load_index(tmp_path / "index", e5_embedder.embedder_id)
    message = str(caught.value)
    assert "\n" not in message
    assert str((tmp_path / "index").resolve()) in message
    assert f"build {newer.name}: chunks.jsonl has " in message
    assert "no older complete build verifies" in message
    assert message.endswith("Run `assistant ingest` to rebuild it.")


def test_sizes_alone_are_checked_when_hashes_are_off(
    index_dir: Path, tmp_path: Path, e5_embedder: E5Embedding
) -> None:
    older, newer = two_builds(index_dir, tmp_path / "index")
    truncate(newer / "documents.json")
    loaded = load_index(tmp_path / "index", e5_embedder.embedder_id, verify_hashes=False)
    assert loaded.path == older
    assert loaded.passed_over is not None
    assert loaded.passed_over.file == "documents.json"


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
    )


@pytest.mark.slow
def test_ask_on_a_damaged_build_answers_from_the_previous_one_with_one_line(
    index_dir: Path, tmp_path: Path
) -> None:
    older, newer = two_builds(index_dir, tmp_path / "index")
    flip_bytes(newer / "vectors.faiss")
    done = run_cli("ask", QUESTION, "--index", str(tmp_path / "index"))
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        f"assistant: The index build {newer.name} is damaged (vectors.faiss does not match its "
        f"SHA-256 in the manifest); serving the previous build {older.name}. "
        "Run `assistant ingest` to rebuild."
    ]
    assert "Kilder:" in done.stdout


@pytest.mark.slow
def test_ask_without_a_verified_build_says_so_in_one_line(index_dir: Path, tmp_path: Path) -> None:
    older, newer = two_builds(index_dir, tmp_path / "index")
    (newer / "bm25" / "vocab.index.json").unlink()
    (older / MANIFEST).write_text("garbage", encoding="utf-8")
    done = run_cli("ask", QUESTION, "--index", str(tmp_path / "index"))
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("assistant: The index in ")
    assert "bm25/vocab.index.json is missing" in lines[0]
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
