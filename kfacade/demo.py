"""kfacade's demo: one Keras program trained, saved, reloaded and drawn on any backend.

    python -m kfacade.demo                      # the default backend (KERAS_BACKEND)
    python -m kfacade.demo --backend jax        # another one
    python -m kfacade.demo --all-backends       # each installed backend, then one table

It trains the classic MLP (Dense 64 relu -> Dense 10 softmax) on the 8x8
handwritten digits bundled with scikit-learn (no download), with the progress
bar; evaluates it; saves it to `.h5` and `.keras`, reloads both with
`kfacade.models.load_model` and checks that they predict what the model does;
draws it with `kfacade.utils.plot_model` (model.png; model.dot, the graph's
source, where Graphviz is not installed) and, when matplotlib is installed,
plots the training curves. It ends with a short summary (backend, accuracy,
time, files written).

`--all-backends` runs the demo once per installed backend, each in its own
process, and compares them: test accuracy, seconds per epoch, and the largest
difference between the first backend's predictions and each backend's
predictions after loading the first backend's saved `.h5` model.
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time

import numpy as np

import kfacade as keras
from kfacade.backend import registry
from kfacade.datasets import digits

__all__ = ["main", "run_demo"]

#: Largest difference allowed between a model's predictions and its reloaded copy's.
RELOAD_TOLERANCE = 1e-5
SUMMARY_FILE = "summary.json"


def load_digits():
    """The digits as flat float32 vectors in [0, 1] and integer labels."""
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    return ((x_train.reshape(len(x_train), 64) / 16.0, y_train),
            (x_test.reshape(len(x_test), 64) / 16.0, y_test))


def build_model():
    """The README's MLP, sized for the 64 pixels of an 8x8 digit."""
    model = keras.Sequential(name="digits_mlp")
    model.add(keras.layers.Dense(units=64, activation="relu", input_dim=64))
    model.add(keras.layers.Dense(units=10, activation="softmax"))
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam",
                  metrics=["accuracy"])
    return model


class EpochTimer(keras.callbacks.Callback):
    """Wall time of each epoch."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


def largest_difference(a, b):
    return float(np.max(np.abs(np.asarray(a, "float64") - np.asarray(b, "float64"))))


def draw_model(model, folder):
    """Draws `model` into `folder` with ``plot_model``: model.png where Graphviz's
    `dot` is installed, else model.dot (the graph's Graphviz source, which needs
    only pydot). Returns ``(file written or None, why the PNG is missing or None)``:
    a demo on a machine without Graphviz still runs to the end and says what to
    install."""
    if importlib.util.find_spec("pydot") is None:
        return None, "pydot is not installed: pip install pydot, and Graphviz for a PNG"
    target = os.path.join(folder, "model.png")
    try:
        keras.utils.plot_model(model, to_file=target, show_shapes=True)
    except ImportError:  # plot_model's own check: Graphviz's dot is not on the PATH
        target = os.path.join(folder, "model.dot")
        keras.utils.plot_model(model, to_file=target, show_shapes=True)
        return target, ("Graphviz's dot is not installed, so model.dot only: apt-get install "
                        "graphviz (or see https://graphviz.org/download/) for model.png")
    return target, None


def plot_training_curves(history, path):
    """Writes loss and accuracy per epoch to `path`; returns False without matplotlib."""
    try:
        import matplotlib
    except ImportError:
        return False
    matplotlib.use("Agg")  # files only, no window
    from matplotlib import pyplot

    figure, (loss_axis, accuracy_axis) = pyplot.subplots(1, 2, figsize=(9, 3.5))
    epochs = np.arange(1, len(history["loss"]) + 1)
    for axis, metric in ((loss_axis, "loss"), (accuracy_axis, "accuracy")):
        axis.plot(epochs, history[metric], marker="o", label="training")
        axis.plot(epochs, history["val_" + metric], marker="o", label="validation")
        axis.set_xlabel("epoch")
        axis.set_title(metric)
        axis.legend()
    figure.suptitle(f"kfacade demo on {keras.backend.backend()}")
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    pyplot.close(figure)
    return True


def run_demo(epochs=20, batch_size=32, output_dir="kfacade-demo", compare_with=None, verbose=1):
    """Trains, evaluates, saves, reloads and draws the demo model on the active backend.

    Args:
        epochs: Training epochs.
        batch_size: Samples per step.
        output_dir: Folder for the files (created if needed).
        compare_with: Another run's output folder: its `model.h5` is loaded
            here and its predictions compared with the ones it recorded.
        verbose: `fit`'s verbosity (1: the progress bar).

    Returns:
        The summary dict, also written to `output_dir/summary.json`.

    Raises:
        RuntimeError: if a reloaded model does not predict what the model does.
    """
    backend = keras.backend.backend()
    os.makedirs(output_dir, exist_ok=True)

    def path(name):
        return os.path.join(output_dir, name)

    print(f"kfacade demo on backend {backend!r}: an MLP on the 8x8 digits bundled with "
          "scikit-learn (1,437 training and 360 test images)")
    keras.utils.set_random_seed(1337)
    (x_train, y_train), (x_test, y_test) = load_digits()
    model = build_model()
    model.summary()

    timer = EpochTimer()
    start = time.perf_counter()
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size,
                        validation_data=(x_test, y_test), callbacks=[timer], verbose=verbose)
    train_seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    predictions = model.predict(x_test, verbose=0)
    np.save(path("predictions.npy"), predictions)

    written = [path("predictions.npy")]
    reload_differences = {}
    for name in ("model.h5", "model.keras"):
        model.save(path(name))
        reloaded = keras.models.load_model(path(name))
        reload_differences[name] = largest_difference(reloaded.predict(x_test, verbose=0),
                                                      predictions)
        if reload_differences[name] > RELOAD_TOLERANCE:
            raise RuntimeError(
                f"The model reloaded from {path(name)} predicts differently: largest "
                f"difference {reload_differences[name]:.3g}, expected at most "
                f"{RELOAD_TOLERANCE}.")
        written.append(path(name))

    drawing, drawing_missing = draw_model(model, output_dir)
    if drawing:
        written.append(drawing)
    curves = plot_training_curves(history.history, path("training_curves.png"))
    if curves:
        written.append(path("training_curves.png"))

    cross_difference = None
    if compare_with is not None:
        # The same saved weights on this backend against the predictions the
        # backend that saved them recorded.
        other = keras.models.load_model(os.path.join(compare_with, "model.h5"))
        cross_difference = largest_difference(
            other.predict(x_test, verbose=0), np.load(os.path.join(compare_with,
                                                                   "predictions.npy")))

    steady = timer.seconds[1:] or timer.seconds  # the first epoch includes compiling
    summary = {
        "backend": backend, "test_accuracy": float(accuracy), "test_loss": float(loss),
        "epochs": epochs, "train_seconds": train_seconds,
        "seconds_per_epoch": float(np.mean(steady)),
        "reload_differences": reload_differences, "cross_backend_difference": cross_difference,
        "files": written,
    }
    with open(path(SUMMARY_FILE), "w") as handle:
        json.dump(summary, handle, indent=1)

    print(f"\nbackend:        {backend}")
    print(f"test accuracy:  {accuracy:.4f} (loss {loss:.4f}) after {epochs} epochs")
    print(f"time:           {train_seconds:.1f}s training, {summary['seconds_per_epoch']:.3f}s "
          "per epoch after the first")
    print("reloaded:       " + ", ".join(
        f"{name} predicts the same (largest difference {value:.1e})"
        for name, value in reload_differences.items()))
    if drawing_missing:
        print(f"model drawing:  {drawing_missing}")
    if not curves:
        print("training curve: skipped (matplotlib is not installed: pip install matplotlib)")
    if cross_difference is not None:
        print(f"same weights:   largest difference {cross_difference:.1e} from the predictions "
              f"recorded in {compare_with}")
    print("files written:  " + ", ".join(written))
    return summary


def run_all_backends(arguments):
    """Runs the demo on each installed backend in a subprocess; prints one table."""
    backends = registry.installed_backends()
    root = arguments.output_dir
    rows, failed, reference = [], [], None
    for backend in backends:
        output_dir = os.path.join(root, backend)
        command = [sys.executable, "-m", "kfacade.demo", "--epochs", str(arguments.epochs),
                   "--batch-size", str(arguments.batch_size), "--output-dir", output_dir,
                   "--verbose", str(arguments.verbose)]
        if reference is not None:
            command += ["--compare-with", reference]
        print(f"\n===== {backend} =====", flush=True)
        status = subprocess.call(command, env=dict(os.environ, KERAS_BACKEND=backend))
        if status != 0:
            failed.append(backend)
            rows.append((backend, f"failed (exit status {status})", "", ""))
            continue
        with open(os.path.join(output_dir, SUMMARY_FILE)) as handle:
            summary = json.load(handle)
        if reference is None:
            reference, reference_backend = output_dir, backend
            difference = "reference"
        else:
            difference = f"{summary['cross_backend_difference']:.1e}"
        rows.append((backend, f"{summary['test_accuracy']:.4f}",
                     f"{summary['seconds_per_epoch']:.3f}", difference))

    header = ("backend", "test accuracy", "s/epoch", "largest prediction difference")
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(4)]
    print(f"\nkfacade demo, {arguments.epochs} epochs on each installed backend"
          + (f"; the same weights: {reference_backend}'s saved model.h5 loaded on each"
             if reference else ""))
    for row in [header, tuple("-" * w for w in widths)] + rows:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())
    return 1 if failed or not rows else 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m kfacade.demo",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--backend", help="the backend to run on (default: KERAS_BACKEND, "
                        "then keras.json, then tensorflow)")
    parser.add_argument("--all-backends", action="store_true",
                        help="run on each installed backend and compare them in one table")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--output-dir", default="kfacade-demo",
                        help="where the files go (default: ./kfacade-demo)")
    parser.add_argument("--verbose", type=int, default=1, help="fit's verbosity (1: progress bar)")
    parser.add_argument("--compare-with", help=argparse.SUPPRESS)  # used by --all-backends
    arguments = parser.parse_args(argv)
    if arguments.all_backends:
        return run_all_backends(arguments)
    if arguments.backend and arguments.backend.strip().lower() != keras.backend.backend():
        # One backend per process, as in Keras: run again with KERAS_BACKEND set.
        forwarded = [a for a in (argv if argv is not None else sys.argv[1:])]
        index = forwarded.index("--backend") if "--backend" in forwarded else None
        if index is not None:
            del forwarded[index:index + 2]
        else:
            forwarded = [a for a in forwarded if not a.startswith("--backend=")]
        return subprocess.call([sys.executable, "-m", "kfacade.demo", *forwarded],
                               env=dict(os.environ, KERAS_BACKEND=arguments.backend))
    run_demo(epochs=arguments.epochs, batch_size=arguments.batch_size,
             output_dir=arguments.output_dir, compare_with=arguments.compare_with,
             verbose=arguments.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
