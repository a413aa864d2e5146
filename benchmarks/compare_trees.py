"""Before/after timings of a kfacade change: two source trees, interleaved.

Usage::

    git archive BASE_COMMIT | tar -x -C /tmp/base
    python benchmarks/compare_trees.py /tmp/base . --backends torch --workloads tiny_step,eager_call

Starts one ``bench_worker.py`` per tree (``KFACADE_ROOT`` pointing at it) and one
native worker per backend, runs the first-step check against the native model
for both trees, then interleaves their trials (1 warm-up, then ``--rounds``
rounds, order rotating) and prints the medians and ratios, with the load average.
"""
import argparse
import os
import statistics
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import workloads  # noqa: E402
from run import Worker  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--backends", default="torch")
    parser.add_argument("--workloads", default="tiny_step,eager_call")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    trees = {"before": os.path.abspath(args.before), "after": os.path.abspath(args.after)}
    print(f"load average before: {[round(v, 2) for v in os.getloadavg()]}")
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            workers = {}
            for name, root in trees.items():
                os.environ["KFACADE_ROOT"] = root
                workers[name] = Worker("kfacade", backend, "default", args.threads, tmp)
            workers["native"] = Worker("native", backend, "default", args.threads, tmp)
            try:
                for workload in args.workloads.split(","):
                    weights = os.path.join(tmp, f"{backend}-{workload}.npz")
                    checks = {}
                    for name, worker in workers.items():
                        answer = worker.ask(op="setup", workload=workload,
                                            load=None if name == "before" else weights,
                                            save=weights if name == "before" else None)
                        if "error" in answer:
                            raise RuntimeError(f"{name}: {answer['error']}")
                        checks[name] = answer["check"]
                    for name in trees:
                        diff = workloads.check_difference(checks[name], checks["native"])
                        assert diff <= workloads.CHECK_TOLERANCE, (name, workload, diff)
                    names = list(workers)
                    for name in names:
                        workers[name].ask(op="trial", workload=workload)
                    trials = {name: [] for name in names}
                    for r in range(args.rounds):
                        for name in names[r % len(names):] + names[:r % len(names)]:
                            trials[name].append(workers[name].ask(op="trial", workload=workload)["seconds"])
                    steps = workloads.SIZES["default"]["steps"][workload]
                    scale = (1e6 if workload == "eager_call" else 1e3) / steps
                    unit = "us/call" if workload == "eager_call" else "ms/step"
                    median = {name: statistics.median(t) * scale for name, t in trials.items()}
                    print(f"{backend} {workload} ({unit}): " + ", ".join(
                        f"{name} {value:.3f}" for name, value in median.items())
                        + f"; after/before {median['after'] / median['before']:.2f}, "
                        f"before/native {median['before'] / median['native']:.2f}, "
                        f"after/native {median['after'] / median['native']:.2f}")
                    for worker in workers.values():
                        worker.ask(op="drop", workload=workload)
            finally:
                for worker in workers.values():
                    worker.close()
    print(f"load average after: {[round(v, 2) for v in os.getloadavg()]}")


if __name__ == "__main__":
    main()
