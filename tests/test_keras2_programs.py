"""The classic Keras 2 example programs run with only the import changed (issue 10).

``examples/keras2/`` holds one short program per classic Keras 2 example
(MNIST MLP/CNN, CIFAR-10 with ``ImageDataGenerator``, the IMDB and Reuters
classifiers, text generation, antirectifier, siamese network, VAE, addition
RNN, seq2seq, stateful LSTM), written against ``import kfacade as keras`` and
Keras 2's import paths, on small offline stand-in data. One child process
(``examples/keras2/run_all.py``) imports the framework once and runs every
program's ``main()`` in turn, printing one JSON line per program; each test
below reads one program's line, so a failure names the program.
"""
import importlib.util
import json
import math
import os
import subprocess
import sys
import time

import pytest

import kfacade

BACKEND = kfacade.backend.backend()
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN_ALL = os.path.join(ROOT, "examples", "keras2", "run_all.py")
TIMEOUT_SECONDS = 900  # about 1 minute of CPU per backend; generous for loaded CI machines


def _load_run_all():
    spec = importlib.util.spec_from_file_location("keras2_run_all", RUN_ALL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # imports no framework
    return module


RUN_ALL_MODULE = _load_run_all()

#: Programs that cannot run yet on some backend: program -> (backends, what is missing).
#: {program: (backends, reason)}: programs known not to run there (none at present).
EXPECTED_FAILURES = {}


#: What some programs' numbers must show beyond being finite.
CHECKS = {
    "antirectifier": lambda n: n["antirectifier_width"] == 128,  # compute_output_shape doubled 64
    "imdb_fasttext": lambda n: n["max_index"] < 2000 + 4000,  # hashed n-grams fit the Embedding
    "lstm_text_generation": lambda n: n["all_chars_known"] == 1.0 and n["generated_chars"] == 60,
    "lstm_seq2seq": lambda n: n["inference_gap"] < 1e-4,  # inference models = training model
    "lstm_stateful": lambda n: n["reset_gap"] < 1e-5 and n["carry_gap"] > 1e-4,
}


def _param(name):
    backends, reason = EXPECTED_FAILURES.get(name, ((), ""))
    if BACKEND in backends:
        return pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=reason))
    return name


@pytest.fixture(scope="module")
def results():
    """Runs every program once in one child process; ``{name: result}``."""
    env = dict(os.environ, KERAS_BACKEND=BACKEND, PYTHONDONTWRITEBYTECODE="1")
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, RUN_ALL], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=TIMEOUT_SECONDS)
    seconds = time.perf_counter() - started
    found = {}
    for line in proc.stdout.splitlines():
        if line.startswith(RUN_ALL_MODULE.MARK):
            result = json.loads(line[len(RUN_ALL_MODULE.MARK):])
            found[result["name"]] = result
    timing = ", ".join(f"{name} {r['seconds']:.1f}s" for name, r in found.items())
    print(f"\nkeras2 programs on {BACKEND}: {seconds:.1f}s in all ({timing})")
    return {"by_name": found, "returncode": proc.returncode, "tail": proc.stdout[-3000:]}


def test_the_child_process_ran_every_program(results):
    assert results["returncode"] == 0, results["tail"]
    assert sorted(results["by_name"]) == sorted(RUN_ALL_MODULE.PROGRAMS), results["tail"]


@pytest.mark.parametrize("name", [_param(name) for name in RUN_ALL_MODULE.PROGRAMS])
def test_program_runs_and_reaches_finite_numbers(results, name):
    result = results["by_name"].get(name)
    assert result is not None, f"{name} did not report; the child's output ends:\n{results['tail']}"
    assert result["ok"], f"{name} failed: {result['error']}\n{result['traceback']}"
    numbers = result["numbers"]
    assert numbers, f"{name} returned no numbers"
    bad = {key: value for key, value in numbers.items() if not math.isfinite(value)}
    assert not bad, f"{name} reached non-finite numbers: {bad}"
    if name in CHECKS:
        assert CHECKS[name](numbers), f"{name}: {numbers}"
