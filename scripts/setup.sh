#!/usr/bin/env bash
# Set up the project on a fresh machine: a virtualenv with CPU torch and the package.
#   bash scripts/setup.sh          # what `assistant serve` needs
#   bash scripts/setup.sh --test   # plus the test tools, Chromium and the local LLM server
# Idempotent: re-running only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate
export PIP_DISABLE_PIP_VERSION_CHECK=1

# CPU torch first: a bare `torch` requirement would pull several GB of CUDA packages.
python -c "import torch" 2>/dev/null || pip install -q "torch==2.13.0"

if [ "$want_test" = 1 ]; then
  # llama-cpp-python compiles llama.cpp (about 5 minutes on 2 cores); portable CPU flags.
  python -c "import llama_cpp" 2>/dev/null || \
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF" pip install -q "llama-cpp-python[server]==0.3.36"
  pip install -q -e ".[llm,test]"
  if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null
    else
      echo "setup: install Debian's chromium (sudo apt-get install chromium) for the browser tests" >&2
    fi
  fi
else
  pip install -q -e ".[llm]"
fi
echo "setup: ready (.venv)"
