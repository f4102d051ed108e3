#!/usr/bin/env bash
# GPU check for carrousel-bio on a machine with CUDA and PyTorch (no network): installs the carried
# Biopython wheel into a private folder, then runs scripts/gpu_check_bio.py (CPU vs CUDA logits,
# attribution and scan hits; CUDA model-scan speed; training on Oct4 vs Mafk in fp32 and bf16).
# Usage: bash scripts/gpu_check_bio.sh CARRY_DIR [OUTDIR]
#   CARRY_DIR holds wheels/*.whl (biopython for the machine's Python) and samples/ (carrousel-data's
#   bio.ecoli, bio.oct4 and bio.mafk folders).
set -uo pipefail
cd "$(dirname "$0")/.."
carry="$1"; out="${2:-${OUT:-/tmp/carrousel-gpu}}"; mkdir -p "$out"
lib="$(mktemp -d)"
python3 -m pip install -q --no-deps --no-index --target "$lib" "$carry"/wheels/*.whl
export PYTHONPATH="packages/core/src:packages/bio/src:$lib${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
export NUMBA_CACHE_DIR="$lib/numba-cache"
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
timeout "${BIO_TIMEOUT:-300}" python3 scripts/gpu_check_bio.py --data "$carry/samples" --out "$out" 2>&1 \
  | grep -v Warning | tee "$out/bio_gpu.log"
