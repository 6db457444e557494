#!/usr/bin/python3
"""The PyTorch bridge (tools/torch/invlab_torch.py) against the C core, both
ways: models trained by `invlab train` give the same logits in PyTorch, and
models written by PyTorch load in `invlab eval` and give the same logits in C.
Also: the bridge's group actions equal the core's orbits pixel for pixel.
Trains nothing long. Exits 77 (meson: SKIP) when torch cannot be imported.

usage: test-torch-bridge.py TORCH-LOGITS-HELPER TOOLS-TORCH-DIR (env INVLAB)
"""

import json
import math
import os
import subprocess
import sys
import tempfile
import time

try:
    import numpy as np
    import torch
except ImportError as e:
    print(f"SKIP: PyTorch is not available to {sys.executable} ({e}); "
          "install Debian's python3-torch")
    sys.exit(77)

HELPER, TOOLS = sys.argv[1], sys.argv[2]
INVLAB = os.environ["INVLAB"]
sys.path.insert(0, TOOLS)
import invlab_torch as it  # noqa: E402

TOL = 1e-4          # max |logit difference| the issue asks for
N_LOGITS = 100      # test images compared
CONFIGS = [("mlp", "c4"), ("cnn", "c4"), ("tied-mlp", "c4"), ("gcnn", "c4"),
           ("gcnn", "d4"), ("gcnn", "trans"), ("tied-mlp", "flip")]
TIED = ("tied-mlp", "gcnn")

torch.set_num_threads(2)
failures = []
count = 0


def check(ok, what):
    global count
    count += 1
    print(f"{'ok' if ok else 'not ok'} {count} - {what}", flush=True)
    if not ok:
        failures.append(what)


def run(*args):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    if r.returncode != 0:
        print(f"# command failed ({r.returncode}): {' '.join(map(str, args))}\n"
              f"# stdout: {r.stdout}\n# stderr: {r.stderr}", flush=True)
    return r


def read_f32(path, *shape):
    return torch.from_numpy(np.fromfile(path, dtype=np.float32)).view(*shape)


def c_logits(tmp, model_path, tag):
    """The C core's test images (N, H, W) and logits (N, K) for a model file."""
    ipath, lpath = os.path.join(tmp, f"{tag}.images"), os.path.join(tmp, f"{tag}.logits")
    r = run(HELPER, "logits", model_path, "digits", N_LOGITS, ipath, lpath)
    if r.returncode != 0:
        return None, None
    return read_f32(ipath, N_LOGITS, 28, 28), read_f32(lpath, N_LOGITS, -1)


def compare(model, x, z_c, what):
    with torch.no_grad():
        z_t = model(x)
    diff = (z_t - z_c).abs().max().item()
    scale = z_c.abs().max().item()
    print(f"# {what}: max |logit diff| {diff:.3g} (max |logit| {scale:.3g})", flush=True)
    check(z_t.shape == z_c.shape and diff < TOL, f"{what}: logits match to {TOL}")
    return diff


def check_exact_invariance(model, x, what):
    group = it.Group(model.group_name, model.h, model.w)
    with torch.no_grad():
        z = model(x)
        worst = max((model(group.apply(x, g)) - z).abs().max().item() for g in range(group.order))
    check(worst < TOL, f"{what}: |f(g·x) − f(x)|∞ = {worst:.3g} < {TOL} in PyTorch")


def test_orbits(tmp):
    """The bridge's actions (torch.rot90, flip, roll) are the core's permutations."""
    for name in ("c4", "d4", "flip", "trans"):
        path = os.path.join(tmp, f"orbit-{name}")
        r = run(HELPER, "orbit", name, "digits", 3, path)
        G = it.group_order(name)
        if r.returncode != 0:
            check(False, f"orbits of {name} exported")
            continue
        orbits = read_f32(path, 3, G, 28, 28)
        base = orbits[:, 0]
        group = it.Group(name, 28, 28)
        mine = torch.stack([torch.stack([it.group_transform(name, g, b) for g in range(G)])
                            for b in base])
        check(torch.equal(mine, orbits), f"group {name}: torch transforms equal the core's orbit")
        check(torch.equal(group.orbit(base), orbits), f"group {name}: Group.orbit equals the core's")


def test_c_to_torch(tmp):
    """invlab train → from_safetensors: same logits on 100 test images."""
    diffs = {}
    for kind, group in CONFIGS:
        tag = f"c-{kind}-{group}"
        path = os.path.join(tmp, tag + ".safetensors")
        # Exactly invariant models train on identity images (DESIGN.md): faster, same model.
        augment = ["--augment", "none"] if kind == "gcnn" else []
        r = run(INVLAB, "train", "--model", kind, "--group", group, "--dataset", "digits",
                "--limit", 300, "--eval-limit", 10, "--seed", 3, *augment, "--out", path)
        if r.returncode != 0:
            check(False, f"{tag}: invlab train")
            continue
        model = it.from_safetensors(path)
        check(model.kind == kind and model.group_name == group and model.dataset == "digits",
              f"{tag}: metadata read back")
        x, z_c = c_logits(tmp, path, tag)
        if x is None:
            check(False, f"{tag}: C logits exported")
            continue
        diffs[tag] = compare(model, x, z_c, f"{tag} (C → PyTorch)")
        if kind in TIED:
            check_exact_invariance(model, x[:20], tag)
        # Re-saving from PyTorch gives the same function in C.
        again = os.path.join(tmp, tag + "-resaved.safetensors")
        it.save_safetensors(model, again)
        _, z_again = c_logits(tmp, again, tag + "-resaved")
        if kind == "tied-mlp":
            # Saving re-ties fc1 (W·P = W up to float rounding of the group mean).
            check(z_again is not None and (z_again - z_c).abs().max().item() < 1e-5,
                  f"{tag}: re-saved by the bridge, the core's logits agree to 1e-5")
        else:
            check(z_again is not None and torch.equal(z_again, z_c),
                  f"{tag}: re-saved by the bridge, the core's logits are bit-identical")
        if kind == "cnn":
            # The comparison can fail: one changed weight shows.
            with torch.no_grad():
                model.fc2.bias[3] += 10 * TOL
                z_t = model(x)
            check((z_t - z_c).abs().max().item() > TOL, f"{tag}: a perturbed weight is detected")
    return diffs


def compare_metrics(model, ds, m_c, tag):
    """The bridge's metrics (used by bench/torch) against invlab eval's on the
    same 50 test images; the sensitivity draws different noise, so it is left
    out. SIS gets a looser bound: float32 rounding decides near-tied max-pool
    windows differently in the two implementations (DESIGN.md)."""
    x, y = ds["test"]
    m_t = it.evaluate(model, x[:50], y[:50])
    for key, tol in (("orbit_accuracy", 1e-9), ("orbit_consistency", 1e-9), ("pdi", 1e-5),
                     ("logit_invariance", 1e-5), ("invariance_error", 1e-5),
                     ("noninvariant_energy", 1e-5), ("sis", 1e-3)):
        a, b = m_t[key], m_c[key]
        if a is None or b is None:
            check(a is None and b is None, f"{tag}: {key} is null in both")
            continue
        err = abs(a - b) / (1 if key != "invariance_error" else max(1.0, abs(b)))
        check(err <= tol, f"{tag}: bridge {key} {a:.6g} = invlab eval {b:.6g} (±{tol:g})")


def test_torch_to_c(tmp):
    """PyTorch-initialized, briefly trained models → invlab eval and the core's logits."""
    data = os.path.join(tmp, "digits-idx")
    r = run(HELPER, "export", "digits", 300, data)
    check(r.returncode == 0, "digits exported as IDX")
    if r.returncode != 0:
        return {}
    ds = it.load_dataset("idx:" + data)
    check(ds["train"][0].shape == (300, 28, 28) and ds["classes"] == 10,
          "bridge reads the exported IDX folder")
    diffs = {}
    for i, (kind, group) in enumerate(CONFIGS):
        tag = f"torch-{kind}-{group}"
        path = os.path.join(tmp, tag + ".safetensors")
        model = it.init_model(it.build_model(kind, group, 28, 28, ds["classes"]), seed=10 + i)
        before = {k: v.clone() for k, v in model.export_tensors().items()}
        it.train(model, *ds["train"], lam=0.0 if kind in TIED else 1.0, limit=128, batch=64,
                 seed=i, dataset_name="digits", class_names=ds["class_names"])
        after = model.export_tensors()
        check(any(not torch.equal(before[k], after[k]) for k in before), f"{tag}: training moved the weights")
        it.save_safetensors(model, path)
        x, z_c = c_logits(tmp, path, tag)
        if x is None:
            check(False, f"{tag}: the core loads the bridge's file")
            continue
        diffs[tag] = compare(model, x, z_c, f"{tag} (PyTorch → C)")
        # One BLAS thread: with two, OpenBLAS's column partition changes the
        # rounding per orientation and the core's SIS of exactly invariant
        # models drops below 1 (seen: 0.95–0.99); that is the core's matter,
        # not the bridge's.
        r = run(INVLAB, "eval", path, "--dataset", "digits", "--limit", 50, "--format", "json",
                "--threads", 1)
        if r.returncode != 0:
            check(False, f"{tag}: invlab eval")
            continue
        m = json.loads(r.stdout)["models"][0]["metrics"]
        finite = all(isinstance(v, (int, float)) and math.isfinite(v)
                     for k, v in m.items() if not (k == "noninvariant_energy" and v is None))
        check(finite and m["n_images"] == 50, f"{tag}: invlab eval gives finite metrics")
        if kind in TIED:
            check(abs(m["logit_invariance"] - 1) < 1e-4,
                  f"{tag}: invlab eval logit_invariance {m['logit_invariance']} ≈ 1")
        compare_metrics(model, ds, m, tag)
    return diffs


def test_rejects_untied(tmp):
    """The core refuses a tied-mlp whose fc1.weight is not tied."""
    model = it.init_model(it.build_model("tied-mlp", "c4"), seed=5)
    tensors = model.export_tensors()
    tensors["fc1.weight"] = model.fc1.weight.detach().clone()   # the free V, not V·P
    path = os.path.join(tmp, "untied.safetensors")
    it.write_safetensors(path, tensors, it.model_metadata(model))
    r = subprocess.run([INVLAB, "eval", path, "--dataset", "digits", "--limit", "5"],
                       capture_output=True, text=True)
    check(r.returncode != 0 and "not invariant" in r.stderr, "the core rejects an untied tied-mlp")
    try:
        it.from_safetensors(path)
        check(False, "the bridge rejects an untied tied-mlp")
    except it.InvlabError:
        check(True, "the bridge rejects an untied tied-mlp")


def main():
    results = {}
    with tempfile.TemporaryDirectory(prefix="invlab-torch-") as tmp:
        for section in (test_orbits, test_c_to_torch, test_torch_to_c, test_rejects_untied):
            t0 = time.perf_counter()
            results.update(section(tmp) or {})
            print(f"# {section.__name__}: {time.perf_counter() - t0:.1f} s", flush=True)
    print(f"1..{count}")
    for tag, d in results.items():
        print(f"# max |logit diff| {tag}: {d:.3g}")
    if failures:
        print(f"# {len(failures)} failed: " + "; ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
