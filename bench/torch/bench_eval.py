#!/usr/bin/python3
"""PyTorch reference for the evaluation benchmark: every metric of DESIGN.md
(orbit accuracy, consistency, PDI, LI, SIS with its input gradients, IE,
sensitivity, non-invariant energy, spectrum) on N test images × C4, with the
formulas of tools/torch/invlab_torch.py:evaluate. Prints one JSON line per
(model, threads): seconds per full evaluation (median of the timed runs) and
the metrics. Not a test. Models: fresh seeded ones of each kind, or files.

Set OMP_NUM_THREADS / OPENBLAS_NUM_THREADS yourself.

usage: /usr/bin/python3 bench/torch/bench_eval.py [--limit 1000] [--threads 1,2]
       /usr/bin/python3 bench/torch/bench_eval.py --model a.safetensors,b.safetensors
"""

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "torch"))
import invlab_torch as it  # noqa: E402


def test_data(n, source):
    if source == "fashion":
        try:
            x, y = it.load_dataset("fashion")["test"]
            return x[:n], y[:n], "fashion"
        except (it.InvlabError, OSError):
            pass
    rng = np.random.default_rng(1)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n, dtype=np.uint8), "random"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", default="mlp,cnn,tied-mlp,gcnn", help="kinds (fresh models on c4)")
    p.add_argument("--model", default=None, help="comma-separated .safetensors files instead")
    p.add_argument("--limit", type=int, default=1000, help="test images")
    p.add_argument("--batch", type=int, default=32, help="base images per forward")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--runs", type=int, default=5, help="timed runs (median reported, ≥ 5)")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--data", default="fashion", choices=("fashion", "random"))
    a = p.parse_args()
    if a.runs < 5:
        p.error("--runs must be at least 5")
    if not (os.environ.get("OMP_NUM_THREADS") and os.environ.get("OPENBLAS_NUM_THREADS")):
        print("bench_eval: set OMP_NUM_THREADS and OPENBLAS_NUM_THREADS for stable numbers",
              file=sys.stderr)
    x, y, source = test_data(a.limit, a.data)
    if a.model:
        models = [(f, it.from_safetensors(f)) for f in a.model.split(",")]
    else:
        models = []
        for i, kind in enumerate(a.models.split(",")):
            m = it.init_model(it.build_model(kind, "c4", 28, 28, 10), seed=1 + i)
            m.mean, m.std = 0.2860, 0.3530   # Fashion-MNIST's training pixels
            models.append((kind, m))
    group = it.Group("c4", 28, 28)
    for name, model in models:
        for threads in (int(t) for t in a.threads.split(",")):
            torch.set_num_threads(threads)
            for _ in range(a.warmup):
                it.evaluate(model, x, y, group, batch=a.batch)
            times = []
            for _ in range(a.runs):
                t0 = time.perf_counter()
                r = it.evaluate(model, x, y, group, batch=a.batch)
                times.append(time.perf_counter() - t0)
            spectrum = r.pop("spectrum")
            r["spectrum_max"], r["spectrum_min"] = spectrum[0], spectrum[-1]
            print(json.dumps({
                "bench": "eval", "impl": f"pytorch {torch.__version__}", "model": name,
                "kind": model.kind, "group": "c4", "threads": threads, "images": len(x),
                "data": source, "seconds": round(statistics.median(times), 4),
                "runs": [round(t, 4) for t in times],
                "metrics": {k: (round(v, 6) if isinstance(v, float) else v) for k, v in r.items()},
            }), flush=True)


if __name__ == "__main__":
    main()
