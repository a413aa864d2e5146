"""Runs the benchmarks on every installed backend and prints a table of ratios.

Usage: ``python benchmarks/run.py [--threads N] [--backends torch,jax]
[--workloads mlp,lstm,cnn]``.
Each backend runs in its own process (one backend per process), with
OMP/TF/XLA threads pinned to N (default 1) so that frameworks do not fight
over a small machine's cores. Ratios are kfacade time / native time (lower
is better; 1.00 is native speed) and kfacade / Keras 3 when Keras 3 is
installed. Results are also written to benchmarks/results/latest.json
(rows of a run that times a subset of the workloads replace that backend's
rows there and keep the others, so noisy rows can be rerun alone).
About 10 minutes on 2 cores with ``--threads 1`` (the CNN dominates).
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS = {"fit_step_ms": 1.10, "predict_ms": 1.10, "eager_call_us": 2.0,
           "lstm_fit_ms": 1.15, "cnn_fit_ms": 1.15}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--backends", default="tensorflow,torch,jax")
    parser.add_argument("--workloads", default="mlp,lstm,cnn")
    args = parser.parse_args()
    backends = [b for b in args.backends.split(",") if importlib.util.find_spec(b) is not None]
    reports = []
    for backend in backends:
        threads = str(args.threads)
        env = dict(os.environ, KERAS_BACKEND=backend, OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads,
                   TF_NUM_INTRAOP_THREADS=threads, TF_NUM_INTEROP_THREADS=threads, TF_CPP_MIN_LOG_LEVEL="3",
                   XLA_FLAGS=f"--xla_cpu_multi_thread_eigen={'true' if args.threads > 1 else 'false'} "
                             f"intra_op_parallelism_threads={threads}",
                   KFACADE_BENCH_WORKLOADS=args.workloads)
        proc = subprocess.run([sys.executable, os.path.join(HERE, "bench_backend.py")], env=env,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"{backend}: failed\n{proc.stderr[-2000:]}")
            continue
        reports.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    header = f"{'backend':<11}{'workload':<16}{'kfacade':>10}{'native':>10}{'keras3':>10}{'k/native':>10}{'target':>8}{'k/keras3':>10}"
    print(f"threads pinned: {args.threads}")
    print(header)
    for report in reports:
        for key, target in TARGETS.items():
            if key not in report["kfacade"]:
                continue
            k = report["kfacade"][key]
            n = report["native"][key]
            k3 = (report.get("keras3") or {}).get(key)
            print(f"{report['backend']:<11}{key:<16}{k:>10.3f}{n:>10.3f}"
                  f"{(f'{k3:.3f}' if k3 else '-'):>10}{k / n:>10.2f}{target:>8.2f}"
                  f"{(f'{k / k3:.2f}' if k3 else '-'):>10}")
    save(reports)


def save(reports):
    """Writes `reports` into results/latest.json, merged key by key into the
    rows already there for the same backend."""
    path = os.path.join(HERE, "results", "latest.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        with open(path) as f:
            previous = {report["backend"]: report for report in json.load(f)}
    except (OSError, ValueError, KeyError, TypeError):
        previous = {}
    for report in reports:
        old = previous.get(report["backend"], {})
        for library in ("kfacade", "native", "keras3"):
            if isinstance(old.get(library), dict) and isinstance(report.get(library), dict):
                report[library] = {**old[library], **report[library]}
        previous[report["backend"]] = {**old, **report}
    with open(path, "w") as f:
        json.dump(list(previous.values()), f, indent=1)


if __name__ == "__main__":
    main()
