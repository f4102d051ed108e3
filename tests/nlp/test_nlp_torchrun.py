"""``nlp sentiment train`` launched by torchrun on two CPU processes (gloo)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from carrousel.nlp.pipeline import SentimentModel


def test_sentiment_train_under_torchrun(tmp_path: Path, synthetic_csv: Path) -> None:
    """Before: the 40 validation rows (one batch) were trimmed away on both ranks and the run failed
    ('accuracy: no samples were seen'); and every rank printed its JSON and wrote the model folder. Now
    one JSON document, one model folder, validation figures over all 40 rows."""
    nlp = shutil.which("nlp", path=os.path.dirname(sys.executable))
    assert nlp is not None
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(key, None)
    out = tmp_path / "m"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", nlp,
           "sentiment", "train", "--data", str(synthetic_csv), "--tokenizer", "word", "--vocab-size", "200",
           "--min-frequency", "1", "--embed-dim", "16", "--hidden-size", "16", "--epochs", "8",
           "--batch-size", "16", "--lr", "0.01", "--threads", "1", "--device", "cpu", "-o", str(out), "--json"]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    doc = json.loads(proc.stdout)  # one document: a second one would not parse
    assert doc["val_rows"] == 40 and doc["val_accuracy"] > 0.8  # majority 0.525
    assert "validation loader yields no batches" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no temporary folder left
    assert SentimentModel.from_pretrained(out).predict_proba(["a great film"]).shape == (1, 2)
