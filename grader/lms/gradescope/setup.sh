#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (the zip is
# unpacked in /autograder/source). It installs bubblewrap (the sandbox student code runs
# in), Python 3.11 or newer, the CPU build of torch, and the grader from the wheel shipped
# in this zip. Written by `grader export EXAM --to gradescope-autograder`.
set -euo pipefail
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV=/opt/grader-venv

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends bubblewrap ca-certificates python3 python3-venv

PYTHON=""
for candidate in python3.13 python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 \
    && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    PYTHON=$candidate
    break
  fi
done
if [ -z "$PYTHON" ]; then
  # Ubuntu 22.04 images ship Python 3.10: take 3.11 from its universe repository
  apt-get install -y -qq --no-install-recommends python3.11 python3.11-venv
  PYTHON=python3.11
fi

"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
# the CPU build of torch first: a plain `torch` would pull a multi-GB CUDA build
"$VENV/bin/python" -m pip install -q torch==@TORCH_VERSION@ \
  --index-url https://download.pytorch.org/whl/cpu
"$VENV/bin/python" -m pip install -q "$SOURCE/@WHEEL@"

# what this image offers the grader (sandbox start, CPUs); read it in the build log
"$VENV/bin/grader" doctor || echo "setup.sh: grader doctor found a problem (above);" \
  "run_autograder will refuse to grade without a working sandbox"
