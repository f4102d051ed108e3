#!/usr/bin/env bash
# GPU check for carrousel.core on a machine with CUDA and PyTorch already installed (no network needed):
# runs the core test suite (device-parametrised tests then also run on cuda) and prints what
# explain_backend predicts and verifies for the main configurations on the GPU.
# Usage: bash scripts/gpu_check.sh [OUTDIR]
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:-${OUT:-/tmp/carrousel-gpu}}"; mkdir -p "$out"
export PYTHONPATH="packages/core/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"
python3 - <<'PY' 2>&1 | tee "$out/explain_backend.txt"
import torch
from carrousel.core.nn import RecurrentConfig, RecurrentEncoder, explain_backend
dev = torch.device("cuda")
cases = {
    "lstm 2-layer bidirectional": (RecurrentConfig(64, 128, num_layers=2, bidirectional=True), None, torch.float32),
    "gru with lengths": (RecurrentConfig(64, 128, cell="gru"), torch.tensor([50, 30, 20, 10]), torch.float32),
    "lstm proj_size": (RecurrentConfig(64, 128, proj_size=32), None, torch.float32),
    "ln_lstm": (RecurrentConfig(64, 128, cell="ln_lstm"), None, torch.float32),
    "lstm zoneout": (RecurrentConfig(64, 128, zoneout=0.1), None, torch.float32),
    "lstm fp16": (RecurrentConfig(64, 128), None, torch.float16),
    "lstm bf16": (RecurrentConfig(64, 128), None, torch.bfloat16),
}
for name, (cfg, lengths, dtype) in cases.items():
    enc = RecurrentEncoder(cfg).to(dev, dtype)
    x = torch.randn(4, 50, 64, device=dev, dtype=dtype)
    print(f"### {name}\n{explain_backend(enc, x, lengths, verify=True)}\n")
PY
timeout "${PYTEST_TIMEOUT:-330}" python3 -m pytest tests/core -q -p no:cacheprovider \
  --ignore=tests/core/test_samples.py -k "not test_core_has" 2>&1 | tee "$out/pytest.log" | tail -25
# deployment on the GPU (#16): eager fp32 vs bf16/fp16 autocast of the export benchmark's encoder, and the
# encoder benchmark's cuDNN path with and without lengths
timeout 120 python3 benchmarks/bench_export.py --device cuda --repeats 5 2>&1 | tee "$out/bench_export_cuda.txt" | tail -14
timeout 180 python3 benchmarks/bench_encoder.py --device cuda --quick 2>&1 | tee "$out/bench_encoder_cuda.txt" | tail -20
