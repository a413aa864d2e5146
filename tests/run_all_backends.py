"""Runs the whole test suite once per installed backend, then the
cross-backend comparisons, and prints one summary.

Usage: ``python tests/run_all_backends.py [extra pytest args]``.
Each backend runs in its own pytest session (a backend is fixed per process,
as in Keras), one session at a time, its test files spread over one
pytest-xdist worker per core (``--dist loadfile``), each worker pinned to one
thread: the long JAX session no longer runs alone on one core while the other
idles.
A test marked ``backend_independent`` (its result is the same whatever
``KERAS_BACKEND`` says: it runs real Keras, or checks every adapter in
subprocesses) runs in the first backend's session only.
Each job's line gives its passes, failures, skips and expected failures
apart, then the skip and expected-failure reasons with their counts. The
line before the last gives the expected-failure total; the last line,
which CI parses, reads "kfacade: N passed, N failed, N skipped".
"""
import collections
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from importlib import metadata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BACKENDS = ("tensorflow", "torch", "jax")


def installed_backends():
    registered = {ep.name for ep in metadata.entry_points(group="kfacade.backends")}
    return [b for b in BACKENDS if b in registered and importlib.util.find_spec(b) is not None]


#: The tests that run again on TensorFlow with oneDNN's kernels.
ONEDNN_TESTS = ["tests/test_conv_kernel_limits.py", "tests/test_conv_layers.py",
                "tests/test_pooling_layers.py"]


def backend_env(name):
    """The environment of a pytest process for backend `name`.

    TensorFlow picks its CPU kernels by instruction set: oneDNN's where the
    CPU has AVX-512, Eigen's (which refuse more conv cases) elsewhere.
    ``TF_ENABLE_ONEDNN_OPTS=0`` gives every machine Eigen's, so a green run
    here is green on the narrowest CPU too.
    """
    return {"KERAS_BACKEND": name, "TF_ENABLE_ONEDNN_OPTS": "0"}


def run_pytest(label, args, env_extra, workers):
    if workers > 1:
        args = ["-n", str(workers), "--dist", "loadfile", *args]
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="2",
               PYTHONDONTWRITEBYTECODE="1", **env_extra)
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.xml")
        started = time.time()
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", *args],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        counts = {"passed": 0, "failed": 0, "skipped": 0, "xfailed": 0}
        reasons = {"skipped": collections.Counter(), "xfailed": collections.Counter()}
        if os.path.exists(report):
            suite = ET.parse(report).getroot()
            suite = suite.find("testsuite") if suite.tag == "testsuites" else suite
            tests = int(suite.get("tests", 0))
            failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            skipped = int(suite.get("skipped", 0))
            # JUnit reports expected failures as skips; count them apart.
            for element in suite.iter("skipped"):
                kind = "xfailed" if element.get("type") == "pytest.xfail" else "skipped"
                reasons[kind][_reason(element.get("message", ""))] += 1
            xfailed = sum(reasons["xfailed"].values())
            counts = {"passed": tests - failed - skipped, "failed": failed,
                      "skipped": skipped - xfailed, "xfailed": xfailed}
        if proc.returncode not in (0, 5) and counts["failed"] == 0:
            counts["failed"] = 1  # pytest itself failed (collection error, crash)
        return label, proc.returncode, counts, reasons, proc.stdout, time.time() - started


def _reason(message):
    """The reason of a skip or xfail, from its JUnit ``message`` attribute."""
    return message.strip() or "(no reason given)"


def _print_reasons(title, counter):
    """`counter`'s reasons, most frequent first, one line each with its count."""
    if counter:
        print(f"  {title}:")
        for reason, count in sorted(counter.items(), key=lambda item: (-item[1], item[0])):
            print(f"    {count:4d}  {reason}")


def main():
    extra = sys.argv[1:]
    backends = installed_backends()
    missing = [b for b in BACKENDS if b not in backends]
    if missing:
        print(f"Not installed, not tested: {missing} (pip install -e '.[all,test]')")
    if not backends:
        print("No backend framework is installed.")
        print("kfacade: 0 passed, 1 failed")
        return 1
    # A backend_independent test runs in the first session only: the others
    # would repeat the same check.
    jobs = [(b, ["tests", "-m", "not cross_backend" if i == 0 else
                 "not cross_backend and not backend_independent", *extra], backend_env(b))
            for i, b in enumerate(backends)]
    if "tensorflow" in backends:
        # The TensorFlow job above runs Eigen's kernels, which every CPU has;
        # the conv and pool tests run again on oneDNN's, which TF picks by
        # itself on CPUs with AVX-512, so both are tested on any machine.
        jobs.append(("tensorflow-onednn", [*ONEDNN_TESTS, "-m", "not cross_backend", *extra],
                     dict(backend_env("tensorflow"), TF_ENABLE_ONEDNN_OPTS="1")))
    jobs.append(("cross-backend", ["tests", "-m", "cross_backend", *extra], backend_env(backends[0])))
    workers = max(1, min(4, os.cpu_count() or 1))
    if importlib.util.find_spec("xdist") is None:
        print("pytest-xdist is not installed: each session runs on one core (pip install -e '.[test]')")
        workers = 1
    totals = {"passed": 0, "failed": 0, "skipped": 0, "xfailed": 0}
    exit_code = 0
    for job in jobs:
        label, code, counts, reasons, output, seconds = run_pytest(*job, workers)
        print(f"\n===== {label}: {counts['passed']} passed, {counts['failed']} failed, "
              f"{counts['skipped']} skipped, {counts['xfailed']} expected failures "
              f"in {seconds:.0f}s =====")
        _print_reasons("skipped, by reason", reasons["skipped"])
        _print_reasons("expected failures, by reason", reasons["xfailed"])
        tail = output.strip().splitlines()
        print("\n".join(tail if counts["failed"] else tail[-3:]), flush=True)
        for key in totals:
            totals[key] += counts[key]
        if code not in (0, 5) or counts["failed"]:
            exit_code = 1
    if totals["passed"] == 0:
        exit_code = 1
    print(f"\nexpected failures (xfail, each naming its reason): {totals['xfailed']}")
    print(f"kfacade: {totals['passed']} passed, {totals['failed']} failed, {totals['skipped']} skipped")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
