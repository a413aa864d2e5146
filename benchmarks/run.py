"""Runs the benchmark suite: kfacade against native code and Keras 3, on every backend.

Usage::

    python benchmarks/run.py                 # everything, about 10 minutes on 2 cores
    python benchmarks/run.py --quick         # a smoke run, about 2 minutes
    python benchmarks/run.py --backends torch --workloads mlp_fit,tiny_step
    python benchmarks/run.py --device gpu --backends torch,jax --policy mixed_bfloat16

Each (backend, side) runs in its own process (``bench_worker.py``; sides:
kfacade, native, Keras 3 when importable), because kfacade and Keras 3 both
read ``KERAS_BACKEND``. For each backend ``run.py`` interleaves the workers'
trials: one warm-up trial each, then ``rounds`` rounds of one trial per side
(``short_rounds`` for the rows of ``workloads.SHORT_WORKLOADS``), each round
taking the next ordering of the sides (``round_orders``) so that every side
follows every other equally often. The rounds are shared out among
``generations`` successive sets of fresh workers, since one process can run a
row faster or slower than another running the same code (``bench_backend``).
Medians are reported and checked against the targets, with the ratio of each
side's fastest trial beside them (``best``).
A slow spell of a shared machine thus hits every side alike.

Before timing a workload, the native model is built from kfacade's initial
weights and both take one training step on the same batch with dropout off:
their losses (or, for predict and the eager call, their outputs) must agree
within 1e-5 (``--policy``: see below), else the row is reported as failed and not timed. Keras 3 starts
from the same weights when its ``set_weights`` takes them; its difference is
reported, not enforced.

``first_epoch`` and ``peak_rss`` run in a fresh process per side and round.

``--device cpu`` (the default) hides any GPU from every worker
(``CUDA_VISIBLE_DEVICES``, ``JAX_PLATFORMS``), so every side computes on the
CPU; ``--device gpu`` lets each framework compute on its GPU, as kfacade does by
default there, and adds the ``peak_device_mem`` row. ``--policy`` builds every
model under a Keras dtype policy (``mixed_bfloat16``, ``mixed_float16``), the
native side with the framework's own mixed precision (torch: ``autocast`` and
``GradScaler``; JAX and TensorFlow: float32 weights cast to the half dtype in the
forward pass, dynamic loss scaling for float16); the first-step check then
allows ``workloads.MIXED_CHECK_TOLERANCE`` (the half dtype's roundings).

One run writes one table: ``benchmarks/results/latest.md`` (with the machine,
versions, threads pinned and the load average before and after),
``latest.json`` (every trial) and ``ratios.png`` (ratios to native). Nothing is
merged from earlier runs.
"""
import argparse
import datetime
import importlib.metadata
import importlib.util
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import native  # noqa: E402
import workloads  # noqa: E402

#: kfacade / native that each workload should stay under (the performance issue's
#: targets): fits and predict 1.05, the eager call and one tiny step's fixed cost 1.3,
#: time to the first epoch's end 1.5, peak host memory 1.15.
#: Peak device memory on a GPU has no target of its own in the issue: it gets host memory's.
TARGETS = {"mlp_fit": 1.05, "cnn_fit": 1.05, "lstm_fit": 1.05, "resnet_fit": 1.05,
           "transformer_fit": 1.05, "predict": 1.05, "eager_call": 1.3, "tiny_step": 1.3,
           "first_epoch": 1.5, "peak_rss": 1.15, "peak_device_mem": 1.15}
#: The rows measured in fresh processes (``fresh_rows``), not by the servers' trials.
FRESH_ROWS = ("first_epoch", "peak_rss", "peak_device_mem")
SIDES = ("kfacade", "native", "keras3")


#: The run's device (``--device``): "cpu" or "gpu".
DEVICE = ["cpu"]
#: The run's dtype policy (``--policy``).
POLICY = ["float32"]


def device_env(device):
    """The environment that puts every framework on `device`: "cpu" hides the
    GPUs (torch, TF: ``CUDA_VISIBLE_DEVICES``; JAX: ``JAX_PLATFORMS``); "gpu"
    keeps them, and has JAX and TensorFlow allocate device memory as they go
    (their default grabs most of the GPU at start, and the sides' workers share it)."""
    if device == "cpu":
        return {"CUDA_VISIBLE_DEVICES": "", "JAX_PLATFORMS": "cpu"}
    return {"XLA_PYTHON_CLIENT_PREALLOCATE": "false", "TF_FORCE_GPU_ALLOW_GROWTH": "true"}


def thread_env(backend, threads):
    threads = str(threads)
    return dict(
        os.environ, **device_env(DEVICE[0]),
        KERAS_BACKEND=backend, OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads,
        OPENBLAS_NUM_THREADS=threads, TF_NUM_INTRAOP_THREADS=threads, TF_NUM_INTEROP_THREADS=threads,
        TF_CPP_MIN_LOG_LEVEL="3",
        XLA_FLAGS=f"--xla_cpu_multi_thread_eigen={'true' if threads != '1' else 'false'} "
                  f"intra_op_parallelism_threads={threads}")


def shared_cpus(threads):
    """The CPUs ``--same-cpu`` pins every worker to: the last `threads` of this
    process's (None where that is all of them, or the OS cannot pin).

    On a virtual machine one vCPU can run slower than another for seconds
    (the host's load); sides on different vCPUs then differ by that, not by
    their code (one run timed a side's whole eager_call row at 40 us against
    21 us alone). Off by default: on one CPU TensorFlow's runtime threads can
    no longer overlap the Python step on the second core, which moved TF
    mlp_fit from 0.99x native to 1.05x; the default measures what a user's
    machine does."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    available = sorted(os.sched_getaffinity(0))
    return set(available[-threads:]) if threads < len(available) else None


#: The CPUs every worker is pinned to (``--same-cpu``), or None.
PINNED_CPUS = [None]

#: glibc malloc settings of every timed worker (``--malloc fixed``, the default).
#: By default glibc serves a block above its mmap threshold with a fresh mapping
#: and raises that threshold to the largest such block freed so far, and it
#: hands the heap's free top back to the system above twice that: whether a
#: step's large buffers come back as already-mapped memory or as fresh pages
#: (a page fault each 4 KiB) thus depends on everything the process freed
#: before. A torch CNN trial (3 steps) took 63-83 thousand faults in one
#: process and 41-51 thousand in another, and 283-383 ms; with the thresholds
#: fixed, none and 219-266 ms. One side's process then ran the row faster or
#: slower by that luck (torch cnn_fit read 0.85-1.22x native from run to run),
#: where in one process sharing the heap kfacade read 0.85x. Fixed, like the
#: threads, for every side alike; the fresh-process rows (``fresh_rows``) keep
#: glibc's defaults, as a user's program starts. Without effect off glibc.
FIXED_MALLOC = {"MALLOC_MMAP_THRESHOLD_": str(32 << 20),  # glibc's largest: 32 MiB
                "MALLOC_TRIM_THRESHOLD_": str(1 << 30)}
#: The malloc settings the timed workers get ({} with ``--malloc default``).
WORKER_MALLOC = [FIXED_MALLOC]


def _pinned(cpus):
    """A ``preexec_fn`` pinning the child to `cpus` before it starts any thread."""
    return None if cpus is None else (lambda: os.sched_setaffinity(0, cpus))


class Worker:
    """A ``bench_worker.py`` server process for one side of one backend."""

    def __init__(self, side, backend, size, threads, log_dir):
        self.side = side
        self.log_path = os.path.join(log_dir, f"{backend}-{side}.log")
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "bench_worker.py"), side, size,
             "--policy", POLICY[0]],
            env=dict(thread_env(backend, threads), **WORKER_MALLOC[0]),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.log, text=True, bufsize=1, preexec_fn=_pinned(PINNED_CPUS[0]))
        self.hello = self.receive()

    def receive(self):
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.side} worker exited; see {self.log_path}")
        return json.loads(line)

    def ask(self, **command):
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self.receive()

    def close(self):
        try:
            self.process.stdin.write(json.dumps({"op": "quit"}) + "\n")
            self.process.stdin.flush()
            self.process.wait(timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
        self.log.close()


def keras3_available():
    try:
        return importlib.metadata.version("keras").startswith("3")
    except importlib.metadata.PackageNotFoundError:
        return False


def round_orders(sides, rounds):
    """The order of the sides in each of `rounds` rounds: their orderings
    (permutations) in turn, so that over each cycle every side runs right
    after every other equally often. A rotation keeps one cyclic order
    (kfacade, native, Keras 3, kfacade, ...): kfacade then ran right after
    Keras 3 in 10 of 15 rounds and native never did, and whatever a side
    leaves behind on the host (threads winding down, memory being freed)
    fell on the side after it."""
    orders = list(itertools.permutations(sides))
    return [list(orders[r % len(orders)]) for r in range(rounds)]


def generation_orders(sides, rounds, generations):
    """``round_orders(sides, rounds)`` cut into `generations` runs of
    consecutive rounds, one per generation of worker processes."""
    orders = round_orders(sides, rounds)
    return [orders[len(orders) * g // generations:len(orders) * (g + 1) // generations]
            for g in range(generations)]


def start_workers(backend, sides, size, threads, tmp):
    """{side: Worker} for the sides that start; raises where kfacade's cannot."""
    workers, errors = {}, {}
    for side in sides:
        try:
            workers[side] = Worker(side, backend, size, threads, tmp)
            if "error" in workers[side].hello:
                raise RuntimeError(workers[side].hello["error"])
        except (RuntimeError, ValueError) as error:
            print(f"  {backend}/{side}: cannot start ({error})", flush=True)
            errors[side] = error
            workers.pop(side, None)
    if "kfacade" not in workers:  # every row compares against it: nothing to time
        for worker in workers.values():
            worker.close()
        raise RuntimeError(f"{backend}: the kfacade worker cannot start ({errors['kfacade']}); "
                           "every row compares against it, so nothing is timed")
    devices = {side: worker.hello.get("device") for side, worker in workers.items()}
    if len(set(devices.values())) > 1 or (devices["kfacade"] == "cpu") != (DEVICE[0] == "cpu"):
        for worker in workers.values():
            worker.close()
        raise RuntimeError(f"{backend}: the sides compute on {devices} where --device is "
                           f"{DEVICE[0]}: nothing is timed")
    return workers


def bench_backend(backend, names, size, threads, with_keras3, tmp):
    """{workload: row} for `backend`: medians, every trial, checks and notes.

    The rounds are shared out among ``generations`` (a size's setting, else
    1) sets of fresh worker processes, one after another: a process can run
    a whole row faster or slower than another process running the same code
    (torch cnn_fit: 260-300 ms a trial in some, 310-340 in others, on either
    side), and one process per side would give the row that process's luck.
    The heap's history was one such cause (``FIXED_MALLOC``); the rounds stay
    shared for whatever else a process carries.
    """
    config = workloads.SIZES[size]
    sides = ["kfacade", "native"] + (["keras3"] if with_keras3 else [])
    generations = config.get("generations", 1)
    timed = [name for name in names if name not in FRESH_ROWS]
    rows = {name: {"trials": {}, "notes": {}} for name in timed}
    untimed = set()  # rows whose check failed or whose kfacade setup did
    versions = started = None
    for generation in range(generations):
        workers = start_workers(backend, sides, size, threads, tmp)
        if versions is None:
            versions = {side: worker.hello.get("version") for side, worker in workers.items()}
            versions["device"] = workers["kfacade"].hello.get("device")
            started = list(workers)
        try:
            for name in timed:
                row = rows[name]
                if name in untimed:
                    continue
                live = _set_up_row(backend, name, workers, tmp, row)
                if row.get("failed") or "kfacade" not in live:
                    untimed.add(name)
                    print(f"  {backend} {name}: {row.get('failed') or row['notes']}", flush=True)
                    continue
                for side in live:  # warm-up (first compilation, caches)
                    workers[side].ask(op="trial", workload=name)
                rounds = config["rounds"]
                if name in workloads.SHORT_WORKLOADS:
                    rounds = config.get("short_rounds", rounds)
                for order in generation_orders(live, rounds, generations)[generation]:
                    for side in order:
                        answer = workers[side].ask(op="trial", workload=name)
                        if "seconds" in answer:
                            row["trials"].setdefault(side, []).append(answer["seconds"])
                for side in live:
                    workers[side].ask(op="drop", workload=name)
        finally:
            for worker in workers.values():
                worker.close()
    for name in timed:
        row = rows[name]
        if not row["trials"]:
            continue
        per = config["steps"][name]
        scale = 1e6 / per if name == "eager_call" else 1e3 / per
        row["median"] = {side: statistics.median(t) * scale for side, t in row["trials"].items()}
        print(f"  {backend} {name}: " + ", ".join(
            f"{side} {value:.3f}" for side, value in row["median"].items()), flush=True)
    if set(FRESH_ROWS) & set(names):
        fresh_rows(backend, started, size, threads, tmp, rows)
    return rows, versions


def _set_up_row(backend, name, workers, tmp, row):
    """Sets workload `name` up on each worker (the others from kfacade's
    initial weights) and records the first-step checks in `row` (the largest
    difference over generations); returns the sides set up."""
    weights = os.path.join(tmp, f"{backend}-{name}.npz")
    answers = {}
    for side in workers:
        answers[side] = workers[side].ask(op="setup", workload=name,
                                          load=None if side == "kfacade" else weights,
                                          save=weights if side == "kfacade" else None)
        if "error" in answers[side]:
            row["notes"][side] = "setup failed: " + answers[side]["error"]
            if side == "kfacade":
                break
    live = [s for s in answers if "error" not in answers[s]]
    if "kfacade" in live and "native" in live:
        diff = workloads.check_difference(answers["kfacade"]["check"], answers["native"]["check"])
        row["check_diff"] = max(diff, row.get("check_diff", 0.0))
        row["check"] = answers["kfacade"]["check"][:1]
        tolerance = workloads.check_tolerance(POLICY[0])
        if row["check_diff"] > tolerance:
            row["failed"] = (f"first-step check differs by {row['check_diff']:.2e} "
                             f"(> {tolerance:g}): not timed")
    if "kfacade" in live and "keras3" in live:
        try:
            diff = workloads.check_difference(answers["kfacade"]["check"], answers["keras3"]["check"])
            row["keras3_check_diff"] = max(diff, row.get("keras3_check_diff", 0.0))
        except ValueError:
            pass
    for side in live:
        note, before = answers[side].get("notes"), row["notes"].get(side)
        if note and before is None:
            row["notes"][side] = note
        elif note and note not in before.split(" / "):  # e.g. the native probe's pick differs
            row["notes"][side] = f"{before} / {note}"
    return live


def fresh_rows(backend, sides, size, threads, tmp, rows):
    """first_epoch, peak_rss and (on a GPU) peak_device_mem, one fresh process
    per side and round, interleaved."""
    weights = os.path.join(tmp, f"{backend}-fresh.npz")
    if not os.path.exists(weights):  # the native mlp needs kfacade's initial weights
        worker = Worker("kfacade", backend, size, threads, tmp)
        worker.ask(op="setup", workload="mlp_fit", save=weights)
        worker.close()
    epoch = rows["first_epoch"] = {"trials": {}, "notes": {}}
    rss = rows["peak_rss"] = {"trials": {}, "notes": {}}
    device = {"trials": {}, "notes": {}}
    for r in range(workloads.SIZES[size]["fresh_rounds"]):
        for side in sides[r % len(sides):] + sides[:r % len(sides)]:
            proc = subprocess.run(
                [sys.executable, os.path.join(HERE, "bench_worker.py"), side, size, "--fresh", weights,
                 "--policy", POLICY[0]],
                env=thread_env(backend, threads), capture_output=True, text=True,
                preexec_fn=_pinned(PINNED_CPUS[0]))
            try:
                answer = json.loads(proc.stdout.strip().splitlines()[-1])
            except (IndexError, ValueError):
                answer = {"error": proc.stderr[-300:]}
            if "error" in answer:
                epoch["notes"][side] = answer["error"][-200:]
                continue
            epoch["trials"].setdefault(side, []).append(answer["first_epoch"])
            rss["trials"].setdefault(side, []).append(answer["peak_rss"])
            if answer.get("peak_device_mem") is not None:
                device["trials"].setdefault(side, []).append(answer["peak_device_mem"])
    if device["trials"]:
        rows["peak_device_mem"] = device
    for row in (epoch, rss, device):
        row["median"] = {side: statistics.median(t) for side, t in row["trials"].items()}
    print(f"  {backend} first_epoch: {epoch['median']}  peak_rss: {rss['median']}"
          + (f"  peak_device_mem: {device['median']}" if device["trials"] else ""), flush=True)


def machine():
    model = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = {}
    for package in ("numpy", "tensorflow-cpu", "tensorflow", "torch", "jax", "jaxlib", "keras"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            pass
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "versions": versions}


def ratio(row, a, b):
    median = row.get("median", {})
    if a in median and b in median and median[b]:
        return median[a] / median[b]
    return None


def best_ratio(row, a, b):
    """`a`'s fastest trial over `b`'s: a slow spell of the host only adds
    time, so this is the two codes' own costs; None without trials."""
    trials = row.get("trials", {})
    if trials.get(a) and trials.get(b) and min(trials[b]) > 0:
        return min(trials[a]) / min(trials[b])
    return None


def fmt(value, digits=3):
    return "-" if value is None else f"{value:.{digits}f}"


def spread(row):
    """The largest max/min ratio of one side's trials: how noisy the row is."""
    ratios = [max(t) / min(t) for t in row.get("trials", {}).values() if len(t) > 1 and min(t) > 0]
    return max(ratios) if ratios else None


def diff(value):
    return "-" if value is None else f"{value:.1e}"


def markdown(report):
    devices = {b: v.get("device") for b, v in report.get("versions", {}).items() if v.get("device")}
    lines = [f"# kfacade benchmarks ({report['size']} run"
             + ("" if report.get("complete", True) else ", stopped early: the backends it finished")
             + ")", "",
             f"- date: {report['date']}; total wall time {report['wall_s']:.0f} s",
             f"- device: {report.get('device', 'cpu')}"
             + (f" ({', '.join(f'{b}: {d}' for b, d in devices.items())})" if devices else "")
             + f"; dtype policy: {report.get('policy', 'float32')}"
             + ("" if report.get("policy", "float32") == "float32" else
                f" (native: torch autocast + GradScaler for float16, JAX/TF float32 weights cast "
                f"in the forward pass; first-step check within "
                f"{workloads.check_tolerance(report['policy']):g})"),
             f"- machine: {report['machine']['cpu']}, {report['machine']['cores']} cores, "
             f"{report['machine']['platform']}, Python {report['machine']['python']}",
             "- versions: " + ", ".join(f"{k} {v}" for k, v in report["machine"]["versions"].items())
             + ", kfacade " + str(report.get("kfacade_version")),
             f"- threads pinned: {report['threads']} (OMP/MKL/OpenBLAS_NUM_THREADS, "
             "torch.set_num_threads + set_num_interop_threads, TF intra/inter-op, "
             "XLA_FLAGS --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads); "
             + ("workers free to use every CPU" if report.get("cpus", "all") == "all"
                else f"every worker pinned to CPU(s) {report['cpus']} (--same-cpu)"),
             "- timed workers' glibc malloc: " + (
                 ", ".join(f"{k}={v}" for k, v in report["malloc"].items())
                 + " (fixed thresholds: no page faults that depend on the process's history; "
                 "first_epoch/peak_rss processes keep the defaults)" if report.get("malloc")
                 else "glibc's defaults (dynamic thresholds)"),
             f"- load average (1, 5, 15 min) before: {report['load_before']}, after: {report['load_after']}",
             f"- trials: 1 warm-up + {report['rounds']} interleaved rounds per side"
             + (f" ({report['short_rounds']} for {', '.join(workloads.SHORT_WORKLOADS)}, "
                "the shortest trials)" if report.get("short_rounds") else "")
             + (f", shared out among {report['generations']} successive sets of worker processes"
                if report.get("generations", 1) > 1 else "")
             + "; medians; "
             f"first_epoch/peak_rss: {report['fresh_rounds']} fresh process(es) per side",
             "- ratios: lower is faster for kfacade; `k/native` 1.00 is native speed. "
             "`best`: kfacade's fastest trial over native's (the host's slow spells only add time; "
             "the target is checked on the medians). "
             "`check Δ`: |kfacade - native| first-step loss (or outputs), must be <= "
             f"{workloads.check_tolerance(report.get('policy', 'float32')):g}. "
             "`spread`: the largest max/min of one side's trials (noise; differences below it are not signal).",
             "- native baselines (`native.py`): torch `nn.Module`, `RMSprop(foreach=True)`, "
             "`zero_grad(set_to_none=True)`, `nn.LSTM`, `F.scaled_dot_product_attention`, dropout masks "
             "as `rand >= p` (not `bernoulli_`, slow on CPU), memory format (NCHW / channels-last, the "
             "CNN then flattening in memory order) picked by a probe and named in the notes; JAX: whole step incl. "
             "dropout RNG in one `jax.jit` with the state donated, `jax.nn.dot_product_attention`, "
             "`lax.scan` LSTM, eager call un-jitted; TensorFlow: `tf.function(reduce_retracing=True)` "
             "step, `tf.scan` LSTM. kfacade on TF compiles a plain `tf.function` on CPU; Keras 3 on TF "
             "uses XLA (`jit_compile='auto'`). Keras 3 starts from kfacade's weights unless a note says not.",
             "- units: ms per step (`*_fit`, `tiny_step`), ms per batch (`predict`), "
             "us per call (`eager_call`), s (`first_epoch`), MB (`peak_rss`, `peak_device_mem`)", ""]
    for backend, rows in report["backends"].items():
        lines += [f"## {backend}", "",
                  "| workload | kfacade | native | Keras 3 | k/native | best | target | Keras3/native "
                  "| k/Keras3 | check Δ | Keras 3 Δ | spread | notes |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
                  "| --- |"]
        for name, row in rows.items():
            median = row.get("median", {})
            k_native = ratio(row, "kfacade", "native")
            target = TARGETS.get(name)
            verdict = "" if target is None or k_native is None else (
                " ok" if k_native <= target else " **over**")
            notes = "; ".join(f"{side}: {note}" for side, note in row.get("notes", {}).items())
            if row.get("failed"):
                notes = f"**{row['failed']}** " + notes
            lines.append(
                f"| {name} | {fmt(median.get('kfacade'))} | {fmt(median.get('native'))} | "
                f"{fmt(median.get('keras3'))} | {fmt(k_native, 2)} | "
                f"{fmt(best_ratio(row, 'kfacade', 'native'), 2)} | "
                f"{fmt(target, 2)}{verdict} | {fmt(ratio(row, 'keras3', 'native'), 2)} | "
                f"{fmt(ratio(row, 'kfacade', 'keras3'), 2)} | "
                f"{diff(row.get('check_diff'))} | {diff(row.get('keras3_check_diff'))} | "
                f"{fmt(spread(row), 2)} | "
                f"{notes} |")
        lines.append("")
    return "\n".join(lines)


def plot(report, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    backends = list(report["backends"])
    names = [n for n in dict.fromkeys(n for rows in report["backends"].values() for n in rows)
             if n not in ("peak_rss", "peak_device_mem")]
    fig, axes = plt.subplots(2, 1, figsize=(max(8, 1.1 * len(names)), 8), sharex=True)
    width = 0.8 / max(len(backends), 1)
    for ax, side, title in ((axes[0], "kfacade", "kfacade / native"),
                            (axes[1], "keras3", "Keras 3 / native")):
        for b, backend in enumerate(backends):
            rows = report["backends"][backend]
            values = [ratio(rows.get(n, {}), side, "native") or 0 for n in names]
            ax.bar([i + (b - (len(backends) - 1) / 2) * width for i in range(len(names))], values,
                   width, label=backend)
        ax.axhline(1.0, color="black", linewidth=0.8)
        ax.set_yscale("log")
        ax.set_ylabel("time ratio, log scale (lower is faster)")
        ax.set_title(title)
        ax.legend()
    axes[1].set_xticks(range(len(names)))
    axes[1].set_xticklabels(names, rotation=30, ha="right")
    fig.suptitle(f"kfacade benchmarks, {report['threads']} thread(s), load {report['load_before']}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a ~2 minute smoke run")
    parser.add_argument("--size", choices=tuple(workloads.SIZES), default=None,
                        help="a size of workloads.SIZES (default: 'default', or 'quick' with --quick)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--same-cpu", action="store_true",
                        help="pin every worker to the same CPU(s) (see shared_cpus)")
    parser.add_argument("--malloc", choices=("fixed", "default"), default="fixed",
                        help="the timed workers' glibc malloc thresholds (see FIXED_MALLOC)")
    parser.add_argument("--backends", default="tensorflow,torch,jax")
    parser.add_argument("--workloads", default=",".join(workloads.WORKLOADS + ("first_epoch", "peak_rss")))
    parser.add_argument("--device", choices=("cpu", "gpu"), default="cpu",
                        help="where every side computes (see device_env)")
    parser.add_argument("--policy", choices=tuple(native.POLICIES),
                        default="float32", help="the Keras dtype policy; native AMP for a mixed one")
    parser.add_argument("--no-keras3", action="store_true")
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    parser.add_argument("--replot", action="store_true",
                        help="rewrite latest.md and ratios.png from --out's latest.json; time nothing")
    args = parser.parse_args()
    if args.replot:
        with open(os.path.join(args.out, "latest.json")) as f:
            report = json.load(f)
        with open(os.path.join(args.out, "latest.md"), "w") as f:
            f.write(markdown(report) + "\n")
        plot(report, os.path.join(args.out, "ratios.png"))
        return
    PINNED_CPUS[0] = shared_cpus(args.threads) if args.same_cpu else None
    WORKER_MALLOC[0] = FIXED_MALLOC if args.malloc == "fixed" else {}
    size = args.size or ("quick" if args.quick else "default")
    names = args.workloads.split(",")
    DEVICE[0], POLICY[0] = args.device, args.policy
    unknown = set(names) - set(workloads.WORKLOADS) - set(FRESH_ROWS)
    if unknown:
        parser.error(f"unknown workloads {sorted(unknown)}; expected some of "
                     f"{list(workloads.WORKLOADS) + list(FRESH_ROWS)}")
    backends = [b for b in args.backends.split(",") if importlib.util.find_spec(b) is not None]
    with_keras3 = keras3_available() and not args.no_keras3
    start = time.perf_counter()
    report = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "size": size, "threads": args.threads, "machine": machine(),
              "device": args.device, "policy": args.policy,
              "cpus": sorted(PINNED_CPUS[0] or []) or "all", "malloc": WORKER_MALLOC[0],
              "rounds": workloads.SIZES[size]["rounds"],
              "short_rounds": workloads.SIZES[size].get("short_rounds"),
              "fresh_rounds": workloads.SIZES[size]["fresh_rounds"],
              "generations": workloads.SIZES[size].get("generations", 1),
              "load_before": [round(v, 2) for v in os.getloadavg()], "backends": {}, "versions": {}}
    with tempfile.TemporaryDirectory(prefix="kfacade-bench-") as tmp:
        for backend in backends:
            print(f"{backend}:", flush=True)
            rows, versions = bench_backend(backend, names, size, args.threads, with_keras3, tmp)
            report["backends"][backend] = rows
            report["versions"][backend] = versions
            report["kfacade_version"] = versions.get("kfacade", report.get("kfacade_version"))
            if backend != backends[-1]:  # a run stopped early keeps the backends it finished
                write(report, args.out, start, final=False)
    text, plotted = write(report, args.out, start, final=True)
    print(text)
    print(f"\nwritten: {os.path.join(args.out, 'latest.md')}, latest.json"
          + (", ratios.png" if plotted else ""))


def write(report, out, start, final):
    """Writes latest.md, latest.json and (with matplotlib) ratios.png for the
    backends timed so far (`final`: all of them); returns the Markdown and
    whether the plot was written."""
    report["load_after"] = [round(v, 2) for v in os.getloadavg()]
    report["wall_s"] = time.perf_counter() - start
    report["complete"] = final
    os.makedirs(out, exist_ok=True)
    text = markdown(report)
    with open(os.path.join(out, "latest.md"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(out, "latest.json"), "w") as f:
        json.dump(report, f, indent=1)
    return text, plot(report, os.path.join(out, "ratios.png"))


if __name__ == "__main__":
    main()
