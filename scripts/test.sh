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
mypy
python -m pytest
assistant eval --gate --split all
