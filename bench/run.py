"""`make bench`: the project's hot paths against the article's own stack, in
one run on one machine.

1. bench/export: the trained model's weights and the attack's pairs (trains
   checkpoints/cnn first if it is missing).
2. The Go benchmarks of bench/bench_test.go, on XLA.
3. bench/reference.py: Keras/TensorFlow on the same data, weights and pairs;
   bench/foolbox_reference.py --speed: the attack suite's workloads in
   Foolbox 3.3.4 on TensorFlow, on the same weights; bench/torch_reference.py
   --speed: the imported PyTorch model (models/mnist_torch.onnx) attacked by
   torchattacks 3.5.1 on torch, and its forward pass in onnxruntime.
4. The peak RSS of `make reproduce` (its binary, training included).
5. Notebook timings: the tutorial's Run All with cold and warm Go build
   caches, GoNB's per-cell overhead, and the kernel's peak RSS.

Prints one table, then one JSON line. Writes out/bench/results.json and
out/bench/table.md.

    python bench/run.py            # everything (about 15 minutes on 2 cores)
    python bench/run.py --no-notebooks
"""
import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import threading
import time

import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "out" / "bench"
sys.path.insert(0, str(ROOT / "tests"))
import nbrun  # noqa: E402

BENCH_VENV_PYTHON = pathlib.Path(os.environ.get("BENCH_VENV", ROOT / ".venv-bench")) / "bin" / "python"
TORCH_VENV_PYTHON = pathlib.Path(os.environ.get("TORCH_VENV", ROOT / ".venv-torch")) / "bin" / "python"

# Benchmark name → -benchtime. Enough repetitions for a stable figure on 2
# cores, few enough for the whole run to stay well under 20 minutes.
BENCHMARKS = {
    "BenchmarkTrainStep/batch=64": "400x",
    "BenchmarkTrainStep/batch=128": "200x",
    "BenchmarkEpoch": "2x",
    "BenchmarkAdvTrainEpoch": "1x",
    "BenchmarkJacobian/batch=1": "300x",
    "BenchmarkJacobian/batch=256": "5x",
    "BenchmarkAscentStep": "300x",
    "BenchmarkAttackPair": "3x",
    "BenchmarkAttackBatch": "2x",
    "BenchmarkMatmul": "30x",
    "BenchmarkPGD": "2x",
    "BenchmarkDeepFool": "1x",
    "BenchmarkCarliniWagner": "1x",
    "BenchmarkImportedPGD/last-iterate": "1x",
    "BenchmarkImportedPGD/early-stop": "1x",
    "BenchmarkImportedForward": "5x",
}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# The training rows again with the engine's fast options (docs/performance.md):
# oneDNN's convolutions and matrix products (GOMLX_BACKEND=xla:cpu,onednn) and
# each batch split over two CPU devices (training.Options.Devices). Neither is
# the default: a model trained with them is not bit for bit the same on
# another CPU.
FAST_ENV = {"GOMLX_BACKEND": "xla:cpu,onednn", "BENCH_DEVICES": "2"}
FAST_BENCHMARKS = {
    "BenchmarkEpoch": "2x",
    "BenchmarkAdvTrainEpoch": "1x",
    # And the imported model's rows: oneDNN runs its convolutions' gradients faster.
    "BenchmarkImportedPGD/last-iterate": "1x",
    "BenchmarkImportedForward": "5x",
}


def build_benchmarks():
    """Compiles the Go benchmarks once; returns the binary."""
    binary = OUT / "bench.test"
    subprocess.run(["go", "test", "-c", "-o", str(binary), "./bench"], cwd=ROOT, check=True)
    return binary


def go_benchmarks(binary, benchmarks=BENCHMARKS, env=None):
    """Runs each Go benchmark of binary with its -benchtime (and env added to
    the environment); returns name → {ns/op, metrics}."""
    results = {}
    for name, benchtime in benchmarks.items():
        pattern = "^" + "$/^".join(re.escape(part) for part in name.split("/")) + "$"
        log(f"go: {name} ({benchtime}){' with ' + ' '.join(f'{k}={v}' for k, v in env.items()) if env else ''}")
        out = subprocess.run([str(binary), "-test.run", "^$", "-test.bench", pattern, "-test.benchtime", benchtime],
                             cwd=ROOT / "bench", capture_output=True, text=True, env={**os.environ, **(env or {})})
        if out.returncode != 0:
            raise SystemExit(f"{name} failed:\n{out.stdout}\n{out.stderr}")
        for line in out.stdout.splitlines():
            fields = line.split()
            if fields and fields[0].startswith(name.split("/")[0]):
                values = {fields[i + 1]: float(fields[i]) for i in range(2, len(fields) - 1, 2)}
                results[name] = values
    return results


def run_reference(what, python, script, *args):
    """Runs bench/script with python and args; returns the JSON line it ends with."""
    log(f"reference: {what}")
    out = subprocess.run([str(python), str(ROOT / "bench" / script), *map(str, args)],
                         capture_output=True, text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    if out.returncode != 0:
        raise SystemExit(f"{script} {' '.join(map(str, args))} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def reference(export):
    return run_reference("Keras/TensorFlow", BENCH_VENV_PYTHON, "reference.py", "--export", export)


def foolbox_speed(export):
    return run_reference("Foolbox 3.3.4 on TensorFlow (PGD, DeepFool, Carlini-Wagner)", BENCH_VENV_PYTHON,
                         "foolbox_reference.py", "--export", export, "--speed")


def torch_speed(export):
    return run_reference("torchattacks 3.5.1 on torch and onnxruntime (the imported PyTorch model)", TORCH_VENV_PYTHON,
                         "torch_reference.py", "--export", export, "--speed")


def reproduce_rss():
    """Peak RSS (GiB) and wall time of the reproduce binary, training included."""
    binary = OUT / "reproduce"
    subprocess.run(["go", "build", "-o", str(binary), "./cmd/reproduce"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as tmp:
        log("reproduce: peak RSS (trains a model into a temporary folder)")
        start = time.time()
        proc = subprocess.Popen([str(binary), "-checkpoint", os.path.join(tmp, "cnn"), "-out", os.path.join(tmp, "figures")],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        stdout = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        if status != 0:
            raise SystemExit("reproduce failed")
    summary = json.loads(stdout.decode().strip().splitlines()[-1])
    return usage.ru_maxrss / 2**20, time.time() - start, summary


class RSSWatcher:
    """Samples, every 0.2 s, the RSS of the GoNB kernel (a child of this
    process named gonb) and of the programs it runs for each cell."""

    def __init__(self):
        self.kernel_peak = self.cell_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self):
        me = os.getpid()
        while not self._stop.is_set():
            procs = {}
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    status = open(f"/proc/{pid}/status").read()
                except OSError:
                    continue
                fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
                rss = int(fields.get("VmRSS", "0 kB").split()[0]) * 1024
                procs[int(pid)] = (int(fields["PPid"]), fields["Name"].strip(), rss)
            for pid, (ppid, name, rss) in procs.items():
                if ppid == me and name == "gonb":
                    self.kernel_peak = max(self.kernel_peak, rss)
                    for child, (cppid, _, crss) in procs.items():
                        if cppid == pid:
                            self.cell_peak = max(self.cell_peak, crss)
            self._stop.wait(0.2)


class CellClock:
    """nbclient hooks that time each cell from this side (GoNB's own
    timestamps have a resolution of one second)."""

    def __init__(self):
        self.seconds, self._start = [], 0.0

    def options(self):
        return {"on_cell_execute": self._begin, "on_cell_executed": self._end}

    def _begin(self, **_):
        self._start = time.perf_counter()

    def _end(self, **_):
        self.seconds.append(time.perf_counter() - self._start)


def timed_run(path, clock=None):
    start = time.time()
    with RSSWatcher() as rss:
        nb = nbrun.execute(path, **(clock.options() if clock else {}))
    problems = nbrun.problems(nb)
    if problems:
        raise SystemExit(f"{path} failed: {problems}")
    return time.time() - start, nb, rss


def notebook_timings():
    tutorial = ROOT / "notebooks" / "01-adversarial-ml-from-scratch.ipynb"
    result = {}
    log("notebooks: tutorial Run All, warm Go build cache (loads checkpoints/cnn)")
    timed_run(tutorial)  # Warms the cache for this exact code.
    result["tutorial_warm_s"], nb, rss = timed_run(tutorial)
    result["kernel_peak_rss_gib"] = rss.kernel_peak / 2**30
    result["cell_program_peak_rss_gib"] = rss.cell_peak / 2**30
    with tempfile.TemporaryDirectory() as cache:
        log("notebooks: tutorial Run All, cold Go build cache")
        old = os.environ.get("GOCACHE")
        os.environ["GOCACHE"] = cache
        try:
            result["tutorial_cold_s"], _, _ = timed_run(tutorial)
        finally:
            if old is None:
                del os.environ["GOCACHE"]
            else:
                os.environ["GOCACHE"] = old
    # GoNB's own cost per cell: a notebook of trivial cells.
    log("notebooks: per-cell GoNB overhead")
    template = nbformat.read(tutorial, as_version=4)
    setup = next(c for c in template.cells if c.cell_type == "code")
    trivial = nbformat.v4.new_notebook(cells=[setup] + [nbformat.v4.new_code_cell(f'%%\nfmt.Println({i})') for i in range(10)])
    trivial.metadata = template.metadata
    path = ROOT / "notebooks" / "_test_overhead.ipynb"
    nbformat.write(trivial, path)
    clock = CellClock()
    try:
        timed_run(path, clock)
    finally:
        path.unlink()
    per_cell = sorted(clock.seconds[1:])  # Without the setup cell.
    result["gonb_cell_overhead_s"] = per_cell[len(per_cell) // 2]
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-notebooks", action="store_true", help="skip the notebook timings")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.time()
    export = OUT / "export.json"
    log("export: weights and pairs of the trained model")
    subprocess.run(["go", "run", "./bench/export", "-out", str(export)], cwd=ROOT, check=True)
    binary = build_benchmarks()
    go = go_benchmarks(binary)
    fast = go_benchmarks(binary, FAST_BENCHMARKS, FAST_ENV)
    ref = reference(export)
    if ref["attack_steps_agree_with_go"] != ref["attack_pairs_timed"]:
        # The one-pair rows compare the same attack only if both sides take the same steps.
        sys.exit(f"bench: the article's attack took other step counts in TensorFlow than in Go on "
                 f"{ref['attack_pairs_timed'] - ref['attack_steps_agree_with_go']} of {ref['attack_pairs_timed']} pairs: "
                 f"the two sides do not run the same attack (compare bench/export's step_size and max_steps with reference.py's loop)")
    fool = foolbox_speed(export)
    torch = torch_speed(export)
    rss_gib, reproduce_s, reproduce_summary = reproduce_rss()
    notebooks = {} if args.no_notebooks else notebook_timings()

    s = lambda name: go[name]["ns/op"] / 1e9  # noqa: E731
    fast_s = lambda name: fast[name]["ns/op"] / 1e9  # noqa: E731
    pair = go["BenchmarkAttackPair"]["s/pair"]
    batch_pair = go["BenchmarkAttackBatch"]["s/pair"]
    epoch_gflops = go["BenchmarkEpoch"]["GFLOP/s"]
    peak_gflops = go["BenchmarkMatmul"]["GFLOP/s"]
    rows = [
        ("training step, batch 64", s("BenchmarkTrainStep/batch=64"), ref["train_step_b64"]),
        ("training step, batch 128", s("BenchmarkTrainStep/batch=128"), ref["train_step_b128"]),
        ("epoch, 60k images, batch 64", s("BenchmarkEpoch"), ref["epoch"]),
        ("adversarial training epoch, cnn.Robust, PGD-10 in each step (59,968 images, batch 64)",
         s("BenchmarkAdvTrainEpoch"), ref["advtrain_epoch"]),
        ("epoch, with the fast options (oneDNN, 2 devices)", fast_s("BenchmarkEpoch"), ref["epoch"]),
        ("adversarial training epoch, with the fast options", fast_s("BenchmarkAdvTrainEpoch"), ref["advtrain_epoch"]),
        ("Jacobian, B=1", s("BenchmarkJacobian/batch=1"), ref["jacobian_b1"]),
        ("Jacobian, B=256", s("BenchmarkJacobian/batch=256"), ref["jacobian_b256"]),
        ("one ascent step", s("BenchmarkAscentStep"), ref["ascent_step"]),
        (f"attack loop, one pair (mean of {ref['attack_pairs_timed']})", pair, ref["attack_pair"]),
        ("attack, 1000 pairs batched, per pair (vs TF's one-pair loop)", batch_pair, ref["attack_pair"]),
        ("PGD-40 L∞ ε=0.3, 10,000 test images (vs Foolbox 3.3.4 on TF)", s("BenchmarkPGD"), fool["pgd_seconds"]),
        ("DeepFool L2, per image (vs Foolbox)", go["BenchmarkDeepFool"]["s/image"], fool["deepfool_seconds_per_image"]),
        ("Carlini-Wagner L2 (6×1000 steps), per image (vs Foolbox)", go["BenchmarkCarliniWagner"]["s/image"], fool["cw_seconds_per_image"]),
        ("imported PyTorch model (ONNX): PGD-40 L∞ ε=0.1, 1,000 test images, every image all 40 steps (vs torchattacks 3.5.1)",
         s("BenchmarkImportedPGD/last-iterate"), torch["pgd_seconds"]),
        ("imported PyTorch model: the same PGD-40, our default (each image stops when fooled) (vs torchattacks)",
         s("BenchmarkImportedPGD/early-stop"), torch["pgd_seconds"]),
        ("imported PyTorch model: forward pass, 10,000 test images, pixels to probabilities (vs onnxruntime)",
         s("BenchmarkImportedForward"), torch["forward_seconds"]),
        ("imported PyTorch model: PGD-40, every image all 40 steps, with oneDNN (vs torchattacks)",
         fast_s("BenchmarkImportedPGD/last-iterate"), torch["pgd_seconds"]),
        ("imported PyTorch model: forward pass, with oneDNN (vs onnxruntime)",
         fast_s("BenchmarkImportedForward"), torch["forward_seconds"]),
    ]
    lines = ["| workload | ours (XLA, Go) | reference: Keras/TF 2.21, or what the row names | ratio |", "|---|---:|---:|---:|"]
    for label, ours, theirs in rows:
        lines.append(f"| {label} | {fmt_s(ours)} | {fmt_s(theirs)} | {ours / theirs:.2f} |")
    flops_epoch = epoch_gflops * s("BenchmarkEpoch") * 1e9
    extra = [
        "",
        f"- FLOPs of one training epoch (60k images): {flops_epoch / 1e9:.0f} GFLOP "
        f"(bench.TrainingFLOPsPerImage × 60,000); ours run at {epoch_gflops:.1f} GFLOP/s.",
        f"- Attainable peak: {peak_gflops:.0f} GFLOP/s, a 1024×1024 float32 matrix product on XLA (BenchmarkMatmul); "
        f"training reaches {epoch_gflops / peak_gflops:.1%} of it ({fast['BenchmarkEpoch']['GFLOP/s'] / peak_gflops:.1%} with the fast options).",
        f"- Attack steps per pair: {ref['attack_pair_steps']:.1f} on average in both (same weights; "
        f"{ref['attack_steps_agree_with_go']}/{ref['attack_pairs_timed']} pairs took exactly the same number of steps).",
        f"- `make reproduce` (its binary, training included): peak RSS {rss_gib:.2f} GiB, {reproduce_s:.0f} s, "
        f"test accuracy {reproduce_summary['test_accuracy']}, attack success {reproduce_summary['attack']['success_rate']}.",
    ]
    if notebooks:
        extra += [
            f"- Tutorial Run All (loading the checkpoint): {notebooks['tutorial_warm_s']:.0f} s with a warm Go build cache, "
            f"{notebooks['tutorial_cold_s']:.0f} s with a cold one.",
            f"- GoNB's overhead per cell (a cell printing one number, warm cache): {notebooks['gonb_cell_overhead_s']:.2f} s.",
            f"- Peak RSS: GoNB kernel {notebooks['kernel_peak_rss_gib']:.2f} GiB, "
            f"largest cell program {notebooks['cell_program_peak_rss_gib']:.2f} GiB (sampled every 0.2 s).",
        ]
    table = "\n".join(lines + extra)
    print(table)
    print(f"\n(total {time.time() - started:.0f} s; TensorFlow {ref['tensorflow']}; torch {torch['torch']} on {torch['torch_threads']} threads, "
          f"torchattacks {torch['torchattacks']}, onnxruntime {torch['onnxruntime']}; machine: {machine()})")
    result = {
        "epoch_ratio": round(s("BenchmarkEpoch") / ref["epoch"], 3),
        "advtrain_epoch_ratio": round(s("BenchmarkAdvTrainEpoch") / ref["advtrain_epoch"], 3),
        "epoch_ratio_fast": round(fast_s("BenchmarkEpoch") / ref["epoch"], 3),
        "advtrain_epoch_ratio_fast": round(fast_s("BenchmarkAdvTrainEpoch") / ref["advtrain_epoch"], 3),
        "jacobian_b1_ratio": round(s("BenchmarkJacobian/batch=1") / ref["jacobian_b1"], 3),
        "jacobian_b256_ratio": round(s("BenchmarkJacobian/batch=256") / ref["jacobian_b256"], 3),
        "attack_pair_ratio": round(pair / ref["attack_pair"], 3),
        "batch_attack_speedup": round(ref["attack_pair"] / batch_pair, 2),
        "reproduce_rss_gib": round(rss_gib, 3),
        "flop_peak_fraction": round(epoch_gflops / peak_gflops, 3),
        "flop_peak_fraction_fast": round(fast["BenchmarkEpoch"]["GFLOP/s"] / peak_gflops, 3),
        "pgd_vs_foolbox": round(s("BenchmarkPGD") / fool["pgd_seconds"], 3),
        "deepfool_vs_foolbox": round(go["BenchmarkDeepFool"]["s/image"] / fool["deepfool_seconds_per_image"], 3),
        "cw_vs_foolbox": round(go["BenchmarkCarliniWagner"]["s/image"] / fool["cw_seconds_per_image"], 3),
        "imported_pgd_vs_torchattacks": round(s("BenchmarkImportedPGD/last-iterate") / torch["pgd_seconds"], 3),
        "imported_pgd_early_stop_vs_torchattacks": round(s("BenchmarkImportedPGD/early-stop") / torch["pgd_seconds"], 3),
        "imported_forward_vs_onnxruntime": round(s("BenchmarkImportedForward") / torch["forward_seconds"], 3),
        "imported_pgd_vs_torchattacks_onednn": round(fast_s("BenchmarkImportedPGD/last-iterate") / torch["pgd_seconds"], 3),
        "imported_forward_vs_onnxruntime_onednn": round(fast_s("BenchmarkImportedForward") / torch["forward_seconds"], 3),
    }
    (OUT / "table.md").write_text(table + "\n")
    (OUT / "results.json").write_text(json.dumps({"go": go, "go_fast": fast, "reference": ref, "foolbox": fool, "torch": torch, "notebooks": notebooks,
                                                  "reproduce": reproduce_summary, "summary": result}, indent=2))
    print(json.dumps(result))


def fmt_s(seconds):
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.0f} µs"


# CPU features that change which kernels XLA, oneDNN and YNNPACK run.
CPU_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile")


def machine():
    """The CPU model, its core count and which of CPU_FLAGS it has."""
    lines = open("/proc/cpuinfo").read().splitlines()
    model = next((l.split(":", 1)[1].strip() for l in lines if l.startswith("model name")), "?")
    flags = set(next((l.split(":", 1)[1].split() for l in lines if l.startswith("flags")), []))
    have = ", ".join(f"{f} {'yes' if f in flags else 'no'}" for f in CPU_FLAGS)
    return f"{model}, {os.cpu_count()} cores; {have}"


if __name__ == "__main__":
    main()
