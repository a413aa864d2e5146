"""Scaling: mnist_mlp step time against batch size and width, kfacade and native.

Usage::

    python benchmarks/scaling.py            # every backend, about 5 minutes on 2 cores
    python benchmarks/scaling.py --quick    # fewer points and steps

For each backend (one process each, threads and glibc's malloc thresholds
fixed as in ``run.py``'s timed workers), with
kfacade's and the native model's trials interleaved (medians):

- ms per step of the mnist_mlp (784-W-W-10, dropout 0.2, RMSprop) for batch
  sizes 32..1024 at width 512, and for widths 128..4096 at batch 128;
- linearity: the time of a fit of 10x the steps divided by 10x the time of the
  short fit; within 5% of 1.00 means per-epoch overheads do not grow with the
  fit (nor shrink: a short fit is not dominated by fixed costs either).

Writes ``benchmarks/results/scaling.md`` (with the load average) and
``scaling.png``.
"""
import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import workloads  # noqa: E402
from run import FIXED_MALLOC, machine, thread_env  # noqa: E402

BATCHES = (32, 64, 128, 256, 512, 1024)
WIDTHS = (128, 256, 512, 1024, 2048, 4096)
QUICK_BATCHES = (32, 256, 1024)
QUICK_WIDTHS = (128, 1024, 4096)
LONG_FACTOR = 10


def mlp_config(batch, width, steps):
    config = copy.deepcopy(workloads.SIZES["default"])
    config["shapes"]["mlp"] = dict(dims=(784, width, width, 10), dropout=0.2, batch=batch)
    config["steps"]["mlp_fit"] = steps
    return config


def steps_for(batch, width, budget):
    """Steps per trial so that a trial costs about the same at every point."""
    work = batch * (784 * width + width * width)  # multiply-adds of one forward pass
    return max(2, min(40, int(budget / work)))


def interleaved(runners, rounds):
    for runner in runners.values():
        runner()  # warm-up
    trials = {name: [] for name in runners}
    for r in range(rounds):
        names = list(runners)
        for name in names[r % len(names):] + names[:r % len(names)]:
            start = time.perf_counter()
            runners[name]()
            trials[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in trials.items()}


def point(kfacade, backend, batch, width, steps, rounds):
    """{side: ms per step} at one (batch, width)."""
    config = mlp_config(batch, width, steps)
    runner, weights, check = workloads.keras_side(kfacade, "mlp_fit", config)
    native_runner, native_check, _ = workloads.native_side(backend, "mlp_fit", config, weights)
    diff = workloads.check_difference(check, native_check)
    if diff > workloads.CHECK_TOLERANCE:
        raise AssertionError(f"first-step losses differ by {diff} at batch {batch}, width {width}")
    times = interleaved({"kfacade": runner, "native": native_runner}, rounds)
    return {side: seconds / steps * 1e3 for side, seconds in times.items()}


def worker(quick):
    sys.argv = sys.argv[:1]
    import bench_worker
    import kfacade

    backend = kfacade.backend.backend()
    bench_worker.pin_threads(backend)
    rounds = 2 if quick else 5
    budget = 1.5e9 if quick else 4e9
    result = {"backend": backend, "batch": {}, "width": {}, "linearity": {}}
    for batch in (QUICK_BATCHES if quick else BATCHES):
        result["batch"][batch] = point(kfacade, backend, batch, 512, steps_for(batch, 512, budget), rounds)
        print(f"{backend} batch {batch}: {result['batch'][batch]}", file=sys.stderr, flush=True)
    for width in (QUICK_WIDTHS if quick else WIDTHS):
        result["width"][width] = point(kfacade, backend, 128, width, steps_for(128, width, budget), rounds)
        print(f"{backend} width {width}: {result['width'][width]}", file=sys.stderr, flush=True)
    short = 4 if quick else 10
    runners = {}
    for length in (short, short * LONG_FACTOR):
        config = mlp_config(128, 512, length)
        runner, weights, _ = workloads.keras_side(kfacade, "mlp_fit", config)
        runners[f"kfacade-{length}"] = runner
        runners[f"native-{length}"] = workloads.native_side(backend, "mlp_fit", config, weights)[0]
    # Short trials: more rounds for a stable median (3 rounds read one
    # backend's ratio as 0.79 in one run, 0.995 in the next over 8).
    times = interleaved(runners, 3 * rounds)
    for side in ("kfacade", "native"):
        result["linearity"][side] = {
            "short_s": times[f"{side}-{short}"], "long_s": times[f"{side}-{short * LONG_FACTOR}"],
            "short_steps": short,
            "ratio": times[f"{side}-{short * LONG_FACTOR}"] / (LONG_FACTOR * times[f"{side}-{short}"])}
    print(json.dumps(result))


def plot(results, path):
    """Step times (top) and kfacade over native (bottom) against batch size and
    width; one colour per backend, kfacade solid, native dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import LogFormatter

    fig, axes = plt.subplots(2, 2, figsize=(12, 8), sharex="col")
    for column, (key, label) in enumerate((("batch", "batch size (width 512)"),
                                           ("width", "MLP width (batch 128)"))):
        times, ratios = axes[0][column], axes[1][column]
        for number, result in enumerate(results):
            colour = f"C{number}"
            xs = sorted(result[key], key=int)
            sizes = [int(x) for x in xs]
            for side, style in (("kfacade", "-o"), ("native", "--x")):
                times.plot(sizes, [result[key][x][side] for x in xs], style, color=colour,
                           label=f"{result['backend']} {side}")
            ratios.plot(sizes, [result[key][x]["kfacade"] / result[key][x]["native"] for x in xs],
                        "-o", color=colour, label=result["backend"])
        times.set_yscale("log")
        # Plain numbers, with some minor ticks labelled where a decade is short.
        times.yaxis.set_major_formatter(LogFormatter(labelOnlyBase=False))
        times.yaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(1.5, 0.6)))
        times.set_ylabel("ms per step")
        ratios.axhline(1.0, color="black", linewidth=0.8)
        ratios.axhline(1.05, color="grey", linestyle=":", linewidth=1, label="1.05")
        ratios.set_ylabel("kfacade / native")
        ratios.set_xlabel(label)
        for ax in (times, ratios):
            ax.set_xscale("log", base=2)
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=8)
    fig.suptitle("mnist_mlp step time scaling (kfacade solid, native dashed)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def markdown(results, load_before, load_after, threads, wall):
    host = machine()
    lines = ["# kfacade scaling", "",
             f"- machine: {host['cpu']}, {host['cores']} cores, Python {host['python']}; "
             + ", ".join(f"{k} {v}" for k, v in host["versions"].items()),
             f"- threads pinned: {threads}; load average before {load_before}, after {load_after}; "
             f"wall time {wall:.0f} s",
             "- glibc malloc: " + ", ".join(f"{k}={v}" for k, v in FIXED_MALLOC.items())
             + " (as run.py's timed workers)",
             "- mnist_mlp 784-W-W-10 (dropout 0.2, RMSprop), ms per step, medians of interleaved trials", ""]
    for result in results:
        lines += [f"## {result['backend']}", "", "| batch (width 512) | kfacade | native | k/native |",
                  "| ---: | ---: | ---: | ---: |"]
        for batch in sorted(result["batch"], key=int):
            k, n = result["batch"][batch]["kfacade"], result["batch"][batch]["native"]
            lines.append(f"| {batch} | {k:.2f} | {n:.2f} | {k / n:.2f} |")
        lines += ["", "| width (batch 128) | kfacade | native | k/native |", "| ---: | ---: | ---: | ---: |"]
        for width in sorted(result["width"], key=int):
            k, n = result["width"][width]["kfacade"], result["width"][width]["native"]
            lines.append(f"| {width} | {k:.2f} | {n:.2f} | {k / n:.2f} |")
        lines += ["", f"| {LONG_FACTOR}x longer fit | short (s) | long (s) | long / ({LONG_FACTOR} x short) | within 5% |",
                  "| --- | ---: | ---: | ---: | --- |"]
        for side, value in result["linearity"].items():
            lines.append(f"| {side} ({value['short_steps']} vs {value['short_steps'] * LONG_FACTOR} steps) | "
                         f"{value['short_s']:.3f} | {value['long_s']:.3f} | {value['ratio']:.3f} | "
                         f"{'yes' if abs(value['ratio'] - 1) <= 0.05 else 'no'} |")
        lines.append("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--backends", default="tensorflow,torch,jax")
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.quick)
    start = time.perf_counter()
    load_before = [round(v, 2) for v in os.getloadavg()]
    results, failed = [], []
    for backend in args.backends.split(","):
        proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker"]
                              + (["--quick"] if args.quick else []),
                              env=dict(thread_env(backend, args.threads), **FIXED_MALLOC),
                              stdout=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            print(f"{backend}: failed", flush=True)
            failed.append(backend)
            continue
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    load_after = [round(v, 2) for v in os.getloadavg()]
    os.makedirs(args.out, exist_ok=True)
    text = markdown(results, load_before, load_after, args.threads, time.perf_counter() - start)
    with open(os.path.join(args.out, "scaling.md"), "w") as f:
        f.write(text + "\n")
    plot(results, os.path.join(args.out, "scaling.png"))
    print(text)
    if failed:
        sys.exit(f"scaling: no results for {', '.join(failed)} (see the worker's traceback above)")


if __name__ == "__main__":
    main()
