"""Runs the Keras 2 example programs of this folder in one process.

Each program is imported and its ``main()`` called in turn (the framework is
imported once); after each, one line ``KERAS2_RESULT {json}`` is printed with
the program's name, ``ok``, its numbers (or the error), its wall-clock and
CPU seconds:

    KERAS_BACKEND=jax python examples/keras2/run_all.py [name ...]
"""
import importlib
import json
import os
import sys
import time
import traceback

PROGRAMS = (
    "mnist_mlp", "mnist_cnn", "cifar10_cnn", "imdb_lstm", "imdb_cnn", "imdb_bidirectional_lstm",
    "imdb_fasttext", "reuters_mlp", "lstm_text_generation", "antirectifier", "mnist_siamese",
    "variational_autoencoder", "addition_rnn", "lstm_seq2seq", "lstm_stateful",
)
MARK = "KERAS2_RESULT "


def run(name):
    from kfacade import backend as K
    from kfacade.utils import set_random_seed

    K.clear_session()
    set_random_seed(1234)
    start, cpu_start = time.perf_counter(), time.process_time()
    try:
        numbers = importlib.import_module(name).main()
        result = {"ok": True, "numbers": {k: float(v) for k, v in numbers.items()}}
    except Exception as error:  # report and go on with the next program
        result = {"ok": False, "error": f"{type(error).__name__}: {error}",
                  "traceback": traceback.format_exc()[-3000:]}
    result.update(name=name, seconds=round(time.perf_counter() - start, 2),
                  cpu_seconds=round(time.process_time() - cpu_start, 2))
    return result


def main(names=None):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import kfacade  # noqa: F401  (timed apart from the programs)

    for name in names or PROGRAMS:
        result = run(name)
        sys.stdout.flush()
        print(MARK + json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
