"""``TensorBoard``: writes training logs and weight histograms for TensorBoard to show.

The event files come from ``kfacade.utils.tensorboard_events``, a pure-Python
writer, so the callback needs neither TensorFlow nor the tensorboard package
on any backend; run ``tensorboard --logdir <log_dir>`` wherever TensorBoard is
installed to look at them.
"""
import os
import time
import warnings

import numpy as np

from kfacade import distribution
from kfacade.callbacks.callback import Callback
from kfacade.callbacks.logs import to_python_value
from kfacade.optimizers.base_optimizer import Optimizer
from kfacade.utils.tensorboard_events import EventFileWriter


def _profile_range(profile_batch):
    """`profile_batch` as (start, stop), checked as Keras checks it."""
    message = ("profile_batch must be a non-negative integer or 2-tuple of positive integers. "
               "A pair of positive integers signifies a range of batches to profile. "
               f"Found: {profile_batch}")
    value = profile_batch
    if isinstance(value, str):
        try:
            value = [int(part) for part in value.split(",")]
        except ValueError:
            raise ValueError(message) from None
        value = value[0] if len(value) == 1 else value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        start = stop = int(value)
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        start, stop = value
    else:
        raise ValueError(message)
    if start < 0 or stop < start:
        raise ValueError(message)
    return start, stop


class TensorBoard(Callback):
    """Writes the logs of ``fit`` (and ``evaluate``) as TensorBoard event files.

    Layout and tags follow Keras: ``log_dir/train`` holds ``epoch_<metric>``
    (including ``epoch_learning_rate``), the ``batch_<metric>`` running values
    when `update_freq` asks for them, the ``<weight path>/histogram`` weight
    histograms and the model's JSON config under ``keras`` (the graph
    plugin's "conceptual graph"); ``log_dir/validation`` holds the
    validation ``epoch_<metric>`` values (their ``val_`` prefix dropped) and
    ``evaluation_<metric>_vs_iterations`` at the optimizer's step count.
    Scalars are written as ``simple_value``s and histograms as
    ``HistogramProto``s, which TensorBoard reads alike.

    Args:
        log_dir: the folder of the log files.
        histogram_freq: every how many epochs the weights' histograms are
            written (0: never).
        write_graph: write the model's config (Sequential and functional
            models), which TensorBoard's graph tab draws. No framework graph
            is written: kfacade's compiled steps have no TensorFlow graph.
        write_images: Keras writes weights as images; kfacade does not, and
            warns when asked.
        write_steps_per_second: also write ``epoch_steps_per_second`` (and
            ``batch_steps_per_second`` with batch-level logging).
        update_freq: "epoch", "batch" (every batch) or an integer N (every N
            batches): how often the ``batch_*`` values are written.
        profile_batch: batches to profile (an int, a pair or "start,stop");
            kfacade has no profiler: a non-zero value warns and profiles nothing.
        embeddings_freq, embeddings_metadata: the Embedding projector, which
            needs TensorFlow checkpoints: a non-zero frequency warns and
            writes nothing.

    Example:
        >>> model.fit(x, y, epochs=5, validation_split=0.2,
        ...           callbacks=[kfacade.callbacks.TensorBoard("logs", histogram_freq=1)])
    """

    _raw_batch_logs = True  # batch logs become floats only on the batches written

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None):
        super().__init__()
        self.log_dir = str(os.fspath(log_dir))
        if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, (int, np.integer)) \
                or histogram_freq < 0:
            raise ValueError("`histogram_freq` must be a non-negative integer (a number of "
                             f"epochs; 0 disables histograms). Received: {histogram_freq!r}")
        self.histogram_freq = int(histogram_freq)
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        if update_freq not in ("epoch", "batch") and (
                isinstance(update_freq, bool) or not isinstance(update_freq, (int, np.integer))
                or update_freq < 1):
            raise ValueError("`update_freq` must be 'epoch', 'batch' or a positive integer "
                             f"(a number of batches). Received: {update_freq!r}")
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._start_batch, self._stop_batch = _profile_range(profile_batch)
        if self._stop_batch:
            warnings.warn("kfacade's TensorBoard callback cannot profile: the batches are not "
                          f"profiled. Received: profile_batch={profile_batch!r} (use 0).",
                          stacklevel=2)
        if write_images:
            warnings.warn("kfacade's TensorBoard callback does not write weights as images; "
                          "`write_images=True` is ignored.", stacklevel=2)
        if embeddings_freq:
            warnings.warn("kfacade's TensorBoard callback does not write the Embedding "
                          "projector's data (it needs TensorFlow checkpoints); "
                          f"`embeddings_freq={embeddings_freq!r}` is ignored.", stacklevel=2)
        self._writers = {}
        self._global_train_batch = 0
        self._batch_start_time = 0.0
        self._epoch_start_time = 0.0
        self._epoch_start_iterations = 0

    def _wants_hook(self, hook):
        if hook == "on_train_batch_begin":
            return self.update_freq != "epoch" or self.write_steps_per_second
        return hook == "on_train_batch_end" and self.update_freq != "epoch"

    # ------------------------------------------------------------ writers
    def _writer(self, name):
        """The writer of "train" or "validation", made on first use (no empty files)."""
        writer = self._writers.get(name)
        if writer is None or writer.closed:
            writer = EventFileWriter(os.path.join(self.log_dir, name))
            self._writers[name] = writer
        return writer

    def _writes(self):
        return getattr(self, "_chief", True)

    def _close_writers(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    # ------------------------------------------------------------- hooks
    def on_train_begin(self, logs=None):
        self._chief = distribution.is_chief()  # one set of files per job
        self._training = True
        self._global_train_batch = 0
        if self._chief and self.write_graph:
            self._write_model_config()

    def on_train_end(self, logs=None):
        self._training = False
        self._close_writers()

    def on_epoch_begin(self, epoch, logs=None):
        if self.write_steps_per_second:
            self._epoch_start_iterations = self._iterations()
            self._epoch_start_time = time.time()

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.time()

    def on_train_batch_end(self, batch, logs=None):
        step = self._global_train_batch
        if not self._writes() or self.update_freq == "epoch" or step % self.update_freq:
            return
        writer = self._writer("train")
        if self.write_steps_per_second:
            elapsed = time.time() - self._batch_start_time
            writer.add_scalar("batch_steps_per_second", 1.0 / max(elapsed, 1e-9), step)
        if isinstance(logs, dict):
            for name, value in logs.items():
                value = to_python_value(value)
                if isinstance(value, float):
                    writer.add_scalar(f"batch_{name}", value, step)

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        iterations = getattr(optimizer, "iterations", None)
        if not self._writes() or not logs or iterations is None:
            return
        writer = self._writer("validation")
        step = int(to_python_value(iterations))
        for name, value in logs.items():
            value = to_python_value(value)
            if isinstance(value, float):
                writer.add_scalar(f"evaluation_{name}_vs_iterations", value, step)
        if getattr(self, "_training", False):
            writer.flush()
        else:  # a standalone evaluate: nothing more comes
            self._close_writers()

    def on_epoch_end(self, epoch, logs=None):
        if not self._writes():
            return
        self._write_epoch_logs(epoch, logs or {})
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_weight_histograms(epoch)
        for writer in self._writers.values():
            writer.flush()

    # ---------------------------------------------------------- content
    def _iterations(self):
        optimizer = getattr(self.model, "optimizer", None)
        iterations = getattr(optimizer, "iterations", None)
        return 0 if iterations is None else int(to_python_value(iterations))

    def _learning_rates(self):
        """{"learning_rate": lr}; a MultiOptimizer gives one "learning_rate_<name>" each."""
        optimizer = getattr(self.model, "optimizer", None)
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)  # LossScaleOptimizer
        if hasattr(optimizer, "optimizers"):
            return {f"learning_rate_{opt.name}": to_python_value(opt.learning_rate)
                    for opt in optimizer.optimizers}
        if isinstance(optimizer, Optimizer):
            return {"learning_rate": to_python_value(optimizer.learning_rate)}
        return {}

    def _write_epoch_logs(self, epoch, logs):
        if not logs:
            return
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val_logs = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        train_logs.update(self._learning_rates())
        if self.write_steps_per_second:
            elapsed = max(time.time() - self._epoch_start_time, 1e-9)
            train_logs["steps_per_second"] = (self._iterations() - self._epoch_start_iterations) \
                / elapsed
        for name, epoch_logs in (("train", train_logs), ("validation", val_logs)):
            values = {k: to_python_value(v) for k, v in epoch_logs.items()}
            values = {k: v for k, v in values.items() if isinstance(v, float)}
            if values:
                writer = self._writer(name)
                for key, value in values.items():
                    writer.add_scalar(f"epoch_{key}", value, epoch)

    def _write_weight_histograms(self, epoch):
        writer = self._writer("train")
        for layer in getattr(self.model, "layers", ()):
            for weight in layer.weights:
                tag = f"{weight.path.replace(':', '_')}/histogram"
                writer.add_histogram(tag, np.asarray(to_python_value(weight), dtype="float64"),
                                     epoch)

    def _write_model_config(self):
        """The model's JSON config under "keras", as Keras writes it for the graph plugin."""
        if type(self.model).__name__ not in ("Sequential", "Functional"):
            return
        try:
            config = self.model.to_json()
        except Exception as error:  # a model that cannot serialize still trains
            warnings.warn(f"Model failed to serialize as JSON. Ignoring... {error}")
            return
        self._writer("train").add_text_tensor("keras", config, 0, plugin_name="graph_keras_model",
                                              content=b"1")
