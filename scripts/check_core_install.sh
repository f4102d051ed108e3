#!/usr/bin/env bash
# Installs carrousel-core ALONE into a fresh virtual environment and checks that it works without any
# domain or CLI dependency: prints what pip installed, runs a forward pass and a training step of the
# encoder, and fails if typer, rich or pandas were installed or if the core ships the data fetcher.
# Not part of the test suite (it installs torch: a minute or two from a local wheel index).
# Usage: bash scripts/check_core_install.sh        (PYTHON=python3.12 to pick the interpreter)
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/carrousel-core-install.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

"${PYTHON:-python3}" -m venv "$tmp/venv"
py="$tmp/venv/bin/python"
# pip's warnings about this machine's index settings are noise here; real errors are shown
"$py" -m pip install -q "$repo/packages/core" 2>"$tmp/pip.err" || { cat "$tmp/pip.err" >&2; exit 1; }
grep -v "is ignored: it is neither a file nor a directory" "$tmp/pip.err" >&2 || true

echo "== pip list of a fresh venv after \`pip install ./packages/core\`"
"$py" -m pip list --format=columns

cd "$tmp"  # away from the source tree: the installed wheel must stand on its own
"$py" - <<'EOF'
import importlib.metadata as md
import importlib.util
import sys
from pathlib import Path

import torch

import carrousel.core
from carrousel.core import RecurrentConfig, RecurrentEncoder

assert Path(carrousel.core.__file__).resolve().is_relative_to(Path(sys.prefix).resolve()), carrousel.core.__file__

encoder = RecurrentEncoder(RecurrentConfig(input_size=8, hidden_size=16, cell="lstm", bidirectional=True))
out = encoder(torch.randn(3, 12, 8), lengths=torch.tensor([12, 7, 4]))
assert tuple(out.output.shape) == (3, 12, 32) and tuple(out.last.shape) == (3, 32)
assert bool((out.output[2, 4:] == 0).all()), "outputs past a sequence's length must be zero"
out.last.sum().backward()
assert all(p.grad is not None for p in encoder.parameters())

installed = [d for d in ("typer", "rich", "pandas") if importlib.util.find_spec(d) is not None]
assert installed == [], f"the core alone installed {installed}"
for dist in ("typer", "rich", "pandas", "carrousel-devdata"):
    try:
        md.distribution(dist)
    except md.PackageNotFoundError:
        continue
    raise AssertionError(f"{dist} is installed with carrousel-core alone")
scripts = [ep.name for ep in md.distribution("carrousel-core").entry_points if ep.group == "console_scripts"]
assert scripts == [], f"carrousel-core declares console scripts {scripts}"
print(f"ok: carrousel-core {carrousel.core.__version__} alone, torch {torch.__version__}, "
      f"forward {tuple(out.output.shape)} and backward; typer, rich, pandas not installed")
EOF
