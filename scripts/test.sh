#!/usr/bin/env bash
# Set up and run every check: lint, types, the test suite (real model, FAISS, uvicorn,
# Chromium and a local OpenAI-compatible LLM server), then the evaluation gate.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
# shellcheck disable=SC1091
. .venv/bin/activate
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
ruff check .
ruff format --check .
mypy
python -m pytest
# The gate runs on the real index. The tests kept their e5 embedding cache (vectors keyed by
# text hash and embedder id), so seed the index's cache from it instead of embedding twice.
mkdir -p index/cache
cp -n .pytest_cache/d/e5-embedding-cache/*.npz index/cache/ 2>/dev/null || true
assistant ingest
assistant eval --gate --split all
