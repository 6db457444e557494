#!/usr/bin/python3
"""bench/gui.py: the app's own figures, measured on the real binary under
Xvfb and driven through its exported actions (`gapplication action`), from
the trace it writes when INVLAB_TRACE is set. A benchmark, not a test.

  demo --arch mlp|cnn   time from app.train to all three families reaching
                        0.78 orbit accuracy on held-out Fashion-MNIST images
                        (C4), and the app's peak RSS with the three models
  latency               slider-to-repaint latency over scripted noise drags
                        while training (256 evaluation images), and the
                        longest main-loop stall
  soak --minutes M      trains and evaluates continuously for M minutes
                        with the sliders moving on a timer; RSS over time

Each prints one JSON line on stdout; progress goes to stderr. Every command
runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset. The app's settings
come from a private keyfile (GSETTINGS_BACKEND=keyfile), so the user's own
are neither read nor changed.

usage: bench/gui.py COMMAND [--build-dir DIR] [options]
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP_ID = "io.github.invlab.InvarianceLab"
DEMO_ACCURACY = 0.78
# The demo's settings (the rest are the app's defaults: batch 64, Adam,
# seed 1, 256 evaluation images, 2 worker threads): every training image
# once, at a learning rate that gets there in one pass.
DEMO_SETTINGS = {"lambda": "1.0", "learning-rate": "0.002", "train-subset": "1000000",
                 "epochs": "1"}
SHIFTS = ["noise", "blur", "contrast", "invert", "occlude", "mix", "uniform"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def in_session():
    """Re-executes this script inside its own D-Bus session and X server,
    unless already there."""
    if os.environ.get("INVLAB_BENCH_SESSION") == "1":
        return
    for tool in ("dbus-run-session", "xvfb-run", "gapplication"):
        if not shutil.which(tool):
            sys.exit(f"bench/gui.py: {tool} is needed (scripts/install-deps.sh installs it)")
    env = dict(os.environ, INVLAB_BENCH_SESSION="1")
    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        env.pop(k, None)
    cmd = ["dbus-run-session", "--", "xvfb-run", "-a", "-s", "-screen 0 1600x1000x24",
           sys.executable, os.path.abspath(__file__)] + sys.argv[1:]
    os.execvpe(cmd[0], cmd, env)


class Trace:
    """The app's trace file: lines 'MICROSECONDS EVENT key=value ...'."""

    def __init__(self, path):
        self.path = path

    def lines(self):
        try:
            with open(self.path) as f:
                text = f.read()
        except OSError:
            return []
        out = []
        for row in text.splitlines():
            parts = row.split()
            if len(parts) < 2 or not parts[0].isdigit():
                continue
            kv = dict(p.split("=", 1) for p in parts[2:] if "=" in p)
            out.append((int(parts[0]), parts[1], kv))
        return out

    def first(self, event, since=0):
        for t, e, kv in self.lines():
            if e == event and t >= since:
                return t, kv
        return None


class App:
    """One run of the real invariance-lab binary with private settings."""

    def __init__(self, build_dir, settings, tmp):
        self.exe = os.path.join(build_dir, "src", "app", "invariance-lab")
        if not os.path.exists(self.exe):
            sys.exit(f"bench/gui.py: {self.exe} is not built (bench/run builds it)")
        conf = os.path.join(tmp, "config", "glib-2.0", "settings")
        os.makedirs(conf, exist_ok=True)
        with open(os.path.join(conf, "keyfile"), "w") as f:
            f.write("[io/github/invlab/InvarianceLab]\n")
            for k, v in settings.items():
                f.write(f"{k}={v}\n")
        self.trace = Trace(os.path.join(tmp, "trace"))
        env = dict(os.environ)
        env.update({
            "GSETTINGS_BACKEND": "keyfile",
            "XDG_CONFIG_HOME": os.path.join(tmp, "config"),
            "GSETTINGS_SCHEMA_DIR": os.path.join(build_dir, "data"),
            "INVLAB_TRACE": self.trace.path,
            "INVLAB_BLAS_AUTOSELECT": "0",
            # Xvfb has no GPU: software GL costs ~300 ms a frame whatever the
            # app draws; the Cairo renderer is what a GL-less laptop gets.
            "GSK_RENDERER": os.environ.get("GSK_RENDERER", "cairo"),
            "NO_AT_BRIDGE": "1",
            "GTK_A11Y": "none",
        })
        self.env = env
        self.proc = subprocess.Popen([self.exe, "--dataset", "fashion", "--group", "c4"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.wait_for("start", 60)

    def wait_for(self, event, timeout, since=0):
        end = time.time() + timeout
        while time.time() < end:
            hit = self.trace.first(event, since)
            if hit:
                return hit
            if self.proc.poll() is not None:
                sys.exit(f"bench/gui.py: the app exited ({self.proc.returncode}): "
                         f"{self.proc.stderr.read()[-1500:]}")
            time.sleep(0.05)
        sys.exit(f"bench/gui.py: no '{event}' in the trace after {timeout} s")

    def action(self, name, param=None):
        cmd = ["gapplication", "action", APP_ID, name] + ([param] if param else [])
        subprocess.run(cmd, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start_training(self, timeout=120):
        """app.train until the trace says training runs (the action is
        disabled while the data set loads). Returns the trace time."""
        end = time.time() + timeout
        while time.time() < end:
            self.action("train")
            hit = self.trace.first("train-running")
            if hit:
                return hit[0]
            time.sleep(0.2)
        sys.exit("bench/gui.py: training did not start")

    def rss_kb(self):
        """(VmRSS, VmHWM) of the app in KiB."""
        vals = {}
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith(("VmRSS:", "VmHWM:")):
                        vals[line.split(":")[0]] = int(line.split()[1])
        except OSError:
            pass
        return vals.get("VmRSS"), vals.get("VmHWM")

    def quit(self):
        if self.proc.poll() is None:
            self.action("quit")
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def demo(a):
    """Time to demo for one architecture, median of a.runs runs."""
    times, rss, accs = [], [], []
    for run in range(a.runs):
        with tempfile.TemporaryDirectory() as tmp:
            settings = dict(DEMO_SETTINGS, architecture=f"'{a.arch}'",
                            **{"eval-interval": str(a.eval_interval)})
            settings.update(kv.split("=", 1) for kv in a.set)
            app = App(a.build_dir, settings, tmp)
            t0 = app.start_training()
            end = time.time() + a.timeout
            reached, best = None, None
            while time.time() < end and reached is None:
                for t, e, kv in app.trace.lines():
                    if e == "snapshot" and t >= t0:
                        acc = [float(kv.get(k, "nan")) for k in
                               ("acc_unconstrained", "acc_regularized", "acc_tied")]
                        if best is None or min(acc) > min(best):
                            best = acc
                        if min(acc) >= DEMO_ACCURACY:
                            reached = (t - t0) / 1e6
                            break
                    if e in ("train-finished", "train-failed") and t >= t0:
                        end = 0
                time.sleep(0.1)
            _, hwm = app.rss_kb()
            app.quit()
            if a.trace_out:
                shutil.copy(app.trace.path, f"{a.trace_out}-{a.arch}-{run + 1}")
            log(f"  {a.arch} run {run + 1}: "
                + (f"all three ≥ {DEMO_ACCURACY} after {reached:.1f} s" if reached is not None
                   else f"not reached; best min accuracy {min(best) if best else float('nan'):.3f}")
                + f"; peak RSS {hwm / 1024:.0f} MB")
            times.append(reached)
            rss.append(hwm / 1024 if hwm else None)
            accs.append(best)
    ok = [t for t in times if t is not None]
    med = sorted(ok)[len(ok) // 2] if len(ok) == len(times) else None
    print(json.dumps({"command": "demo", "arch": a.arch, "runs": a.runs, "seconds": times,
                      "seconds_median": med, "best_accuracies": accs,
                      "peak_rss_mb": rss, "peak_rss_mb_max": max(r for r in rss if r)}))


def percentile(sorted_v, p):
    pos = p * (len(sorted_v) - 1)
    i = int(pos)
    j = min(i + 1, len(sorted_v) - 1)
    return sorted_v[i] + (pos - i) * (sorted_v[j] - sorted_v[i])


def latency(a):
    """Slider-to-repaint over a.runs drags of 30 noise values, 50 ms apart,
    sent by bench/invlab-drive over one D-Bus connection."""
    with tempfile.TemporaryDirectory() as tmp:
        app = App(a.build_dir, {"architecture": "'mlp'", "eval-subset-size": "256",
                                "epochs": "100", "train-subset": "1000000"}, tmp)
        t0 = app.start_training()
        app.wait_for("snapshot", 120, t0)
        lat, stalls, sliders = [], [], 0
        for run in range(a.runs):
            since = app.trace.lines()[-1][0]
            subprocess.run([os.path.join(a.build_dir, "bench", "invlab-drive"), APP_ID, "noise",
                            "30", "50"], env=app.env, check=True)
            time.sleep(1.5)
            lines = [l for l in app.trace.lines() if l[0] > since]
            drag_end = max(t for t, e, _ in lines if e == "slider") if lines else since
            for i, (t, e, kv) in enumerate(lines):
                if e == "stall" and t <= drag_end:
                    stalls.append(int(kv["us"]) / 1000)
                if e != "slider":
                    continue
                sliders += 1
                s = int(kv["serial"])
                for t2, e2, kv2 in lines[i + 1:]:
                    if e2 == "grid-repaint" and int(kv2["serial"]) >= s:
                        lat.append((t2 - t) / 1000)
                        break
            app.action("reset-shifts")
            time.sleep(1.0)
        state = [e for _, e, _ in app.trace.lines() if e.startswith("train-")][-1]
        app.quit()
    lat.sort()
    res = {"command": "latency", "drags": a.runs, "sliders": sliders, "repainted": len(lat),
           "median_ms": percentile(lat, 0.5) if lat else None,
           "p95_ms": percentile(lat, 0.95) if lat else None,
           "max_ms": lat[-1] if lat else None,
           "longest_stall_ms": max(stalls) if stalls else 0.0, "stalls_over_10ms": len(stalls),
           "training_state_at_end": state}
    log(f"  latency: {json.dumps(res)}")
    print(json.dumps(res))


def soak(a):
    """Continuous training and evaluation for a.minutes, sliders on a timer."""
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        app = App(a.build_dir, {"architecture": f"'{a.arch}'", "epochs": "1000",
                                "train-subset": "1000000"}, tmp)
        t0 = app.start_training()
        start = time.time()
        samples = []   # (seconds, rss MB)
        next_sample = 0.0
        moves = 0
        while time.time() - start < a.minutes * 60:
            el = time.time() - start
            if rng.random() < 0.1:
                app.action("reset-shifts")
            else:
                app.action("set-shift", f"('{rng.choice(SHIFTS)}', {rng.random():.3f})")
            moves += 1
            if el >= next_sample:
                rss, hwm = app.rss_kb()
                if rss is None:
                    sys.exit("bench/gui.py: the app is gone")
                samples.append((round(el, 1), round(rss / 1024, 1)))
                log(f"  {el / 60:5.1f} min: RSS {rss / 1024:.1f} MB, peak {hwm / 1024:.1f} MB")
                next_sample += 30
            time.sleep(0.5)
        lines = app.trace.lines()
        steps = [int(kv["step"]) for _, e, kv in lines if e == "snapshot"]
        failed = any(e == "train-failed" for _, e, _ in lines)
        shown = sum(1 for _, e, _ in lines if e == "grid-shown")
        _, hwm = app.rss_kb()
        app.quit()
    # Start: the largest RSS of minutes 1-5 (after loading and the first
    # evaluations); end: the largest of the last 5 minutes.
    first = [r for s, r in samples if 60 <= s <= 300] or [r for _, r in samples]
    last = [r for s, r in samples if s >= a.minutes * 60 - 300] or [r for _, r in samples]
    res = {"command": "soak", "minutes": a.minutes, "arch": a.arch, "slider_moves": moves,
           "training_steps": max(steps) if steps else 0, "evaluations": len(steps),
           "grids_shown": shown, "train_failed": failed,
           "rss_start_mb": max(first), "rss_end_mb": max(last),
           "growth": max(last) / max(first) - 1, "peak_rss_mb": hwm / 1024 if hwm else None,
           "samples": samples}
    print(json.dumps(res))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build-dir", default=os.path.join(ROOT, "build-bench"))
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo")
    d.add_argument("--arch", choices=["mlp", "cnn"], required=True)
    d.add_argument("--runs", type=int, default=5)
    d.add_argument("--timeout", type=float, default=300)
    d.add_argument("--eval-interval", type=int, default=50)
    d.add_argument("--trace-out", help="keep each run's trace as TRACE_OUT-ARCH-RUN")
    d.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="another setting, as GVariant text (e.g. learning-rate=0.002)")
    l = sub.add_parser("latency")
    l.add_argument("--runs", type=int, default=5)
    s = sub.add_parser("soak")
    s.add_argument("--minutes", type=float, default=30)
    s.add_argument("--arch", choices=["mlp", "cnn"], default="mlp")
    a = p.parse_args()
    a.build_dir = os.path.abspath(a.build_dir)
    in_session()
    {"demo": demo, "latency": latency, "soak": soak}[a.command](a)


if __name__ == "__main__":
    main()
