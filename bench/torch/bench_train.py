#!/usr/bin/python3
"""PyTorch reference for the training-throughput benchmark: the four model
kinds on C4 with the C core's architecture and loss (tools/torch), batch 64
base images × 4 orbit copies, Adam, λ = 1. Prints one JSON line per
(model, threads): images/second, orbit copies counted, the median of the
timed runs after warm-up. Not a test; runs on the CPU unless --device says.

Set OMP_NUM_THREADS / OPENBLAS_NUM_THREADS yourself (e.g. to the largest T)
so no library spins extra threads; torch.set_num_threads(T) is set per run.

usage: /usr/bin/python3 bench/torch/bench_train.py [--threads 1,2] [--runs 5]
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


def data(n, source):
    """n base images (uint8 N×28×28) and labels: Fashion-MNIST when installed,
    else seeded uniform noise (throughput does not depend on the pixels)."""
    if source == "fashion":
        try:
            x, y = it.load_dataset("fashion")["train"]
            return x[:n], y[:n], "fashion"
        except (it.InvlabError, OSError):
            pass
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n, dtype=np.uint8), "random"


def bench(kind, threads, a, x_all, y_all):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = it.init_model(it.build_model(kind, "c4", 28, 28, 10), seed=1).to(a.device)
    model.mean, model.std = float(x_all.mean()), float(x_all.std())
    group = it.Group("c4", 28, 28)
    opt = it.make_optimizer(model, "adam", 1e-3)
    gen = torch.Generator().manual_seed(0)
    x_all, y_all = x_all.to(a.device), y_all.to(a.device)
    n = x_all.shape[0]
    pos = 0

    def step():
        nonlocal pos
        idx = torch.arange(pos, pos + a.batch) % n
        pos = (pos + a.batch) % n
        return it.train_step(model, opt, x_all[idx], y_all[idx], group, a.reg, 0, "orbit", gen)[3]

    def sync():
        if str(a.device).startswith("cuda"):
            torch.cuda.synchronize()

    for _ in range(a.warmup):
        step()
    sync()
    rates = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        rows = sum(step() for _ in range(a.steps))
        sync()
        rates.append(rows / (time.perf_counter() - t0))
    return rates


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", default="mlp,cnn,tied-mlp,gcnn")
    p.add_argument("--threads", default="1,2", help="comma-separated torch thread counts")
    p.add_argument("--batch", type=int, default=64, help="base images per step")
    p.add_argument("--reg", type=float, default=1.0, help="λ")
    p.add_argument("--runs", type=int, default=5, help="timed runs (median reported, ≥ 5)")
    p.add_argument("--steps", type=int, default=5, help="steps per timed run")
    p.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    p.add_argument("--device", default="cpu")
    p.add_argument("--data", default="fashion", choices=("fashion", "random"))
    a = p.parse_args()
    if a.runs < 5:
        p.error("--runs must be at least 5")
    if not (os.environ.get("OMP_NUM_THREADS") and os.environ.get("OPENBLAS_NUM_THREADS")):
        print("bench_train: set OMP_NUM_THREADS and OPENBLAS_NUM_THREADS (to the largest "
              "--threads) for stable numbers", file=sys.stderr)
    x, y, source = data(4096, a.data)
    x_all, y_all = it.to_pixels(x), torch.as_tensor(y).long()
    for kind in a.models.split(","):
        for threads in (int(t) for t in a.threads.split(",")):
            rates = bench(kind, threads, a, x_all, y_all)
            print(json.dumps({
                "bench": "train", "impl": f"pytorch {torch.__version__}", "device": a.device,
                "model": kind, "group": "c4", "threads": threads, "batch": a.batch,
                "orbit_copies": 4, "lambda": a.reg, "optimizer": "adam", "data": source,
                "images_per_sec": round(statistics.median(rates), 1),
                "runs": [round(r, 1) for r in rates], "steps_per_run": a.steps,
            }), flush=True)


if __name__ == "__main__":
    main()
