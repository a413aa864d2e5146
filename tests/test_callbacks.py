"""Callbacks, driven by a hand-written loop over a fake model.

The loop calls the hooks in the order Keras's ``fit`` does and sends logs
as native tensors of the active backend, so these tests need neither
``fit`` nor a compiled model. Expected values are worked out by hand in
each test from Keras's documented rules.
"""
import math
import os
import re
import sys

import numpy as np
import pytest

from kfacade import ops
from kfacade.callbacks import (
    Callback,
    CallbackList,
    CSVLogger,
    EarlyStopping,
    History,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ProgbarLogger,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from kfacade.callbacks import callback_list as callback_list_module
from kfacade.callbacks.callback_list import logs_to_float
from kfacade.utils import progbar as progbar_module
from kfacade.utils.progbar import Progbar
from kfacade.variables import Variable


# ------------------------------------------------------------------ fakes
class FakeOptimizer:
    """An optimizer whose learning rate lives in a float32 Variable, as a real one's."""

    def __init__(self, learning_rate):
        self._learning_rate = Variable(np.float32(learning_rate), name="learning_rate")

    @property
    def learning_rate(self):
        return self._learning_rate.value

    @learning_rate.setter
    def learning_rate(self, value):
        self._learning_rate.assign(np.float32(value))


class FakeModel:
    """What callbacks touch on a model: weights, stop_training, optimizer, saving."""

    def __init__(self, learning_rate=0.5):
        self.weights = [np.zeros(3, np.float32), np.zeros((2, 2), np.float32)]
        self.stop_training = False
        self.optimizer = FakeOptimizer(learning_rate)
        self.saves = []  # (method, path)

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]

    def _write(self, method, filepath):
        # ModelCheckpoint writes to ".tmp-<id>-<name>" and renames it: record <name>.
        name = os.path.basename(filepath)
        self.saves.append((method, re.sub(r"^\.tmp-[0-9a-f]+-", "", name)))
        with open(filepath, "w") as f:
            f.write(f"{method}:{self.weights[0][0]}")

    def save_weights(self, filepath, overwrite=True):
        self._write("save_weights", filepath)

    def save(self, filepath, overwrite=True):
        self._write("save", filepath)


def tensor(value):
    return ops.convert_to_tensor(np.float32(value))


class Bomb:
    """A log value that fails the test if anything converts it to a number."""

    def __array__(self, *args, **kwargs):
        raise AssertionError("batch logs were converted although no callback needed them")

    def __float__(self):
        raise AssertionError("batch logs were converted although no callback needed them")


def run(callbacks, epoch_logs, model=None, steps=2, verbose=0, batch_logs=None,
        on_epoch_begin=None):
    """Runs the hooks as fit does; epoch_logs[i] are epoch i's results (floats).

    batch_logs(epoch, batch) gives a batch's logs (default: the epoch's loss
    as a tensor). on_epoch_begin(model, epoch) changes the model as training would.
    """
    model = model if model is not None else FakeModel()
    callback_list = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0,
                                 model=model, epochs=len(epoch_logs), steps=steps,
                                 verbose=verbose)
    model.stop_training = False
    callback_list.on_train_begin()
    logs = None
    for epoch, values in enumerate(epoch_logs):
        if on_epoch_begin is not None:
            on_epoch_begin(model, epoch)
        callback_list.on_epoch_begin(epoch)
        for batch in range(steps):
            callback_list.on_train_batch_begin(batch)
            if batch_logs is not None:
                logs = batch_logs(epoch, batch)
            else:
                logs = {"loss": tensor(values.get("loss", 0.0))}
            callback_list.on_train_batch_end(batch, logs)
            if model.stop_training:
                break
        logs = {key: tensor(value) for key, value in values.items()}
        callback_list.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    callback_list.on_train_end(logs)
    return model


@pytest.fixture
def clock(monkeypatch):
    """A fake clock for Progbar: set ``clock.now`` to move time."""

    class Clock:
        now = 0.0

    fake = Clock()
    monkeypatch.setattr(progbar_module, "_clock", lambda: fake.now)
    monkeypatch.delenv("PYCHARM_HOSTED", raising=False)
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    return fake


# ------------------------------------------------------------ logs and lists
def test_logs_to_float_converts_tensors_variables_and_numbers():
    logs = {
        "loss": tensor(0.25),
        "accuracy": Variable(np.float32(0.75)),
        "count": 3,
        "nested": {"val_loss": tensor(0.5)},
        "vector": ops.convert_to_tensor(np.array([1.0, 2.0], np.float32)),
        "name": "text",
    }
    result = logs_to_float(logs)
    assert result["loss"] == 0.25 and type(result["loss"]) is float
    assert result["accuracy"] == 0.75 and type(result["accuracy"]) is float
    assert result["count"] == 3.0 and type(result["count"]) is float
    assert result["val_loss"] == 0.5 and "nested" not in result
    np.testing.assert_array_equal(result["vector"], [1.0, 2.0])
    assert result["name"] == "text"
    assert logs_to_float(None) == {}


def test_batch_logs_are_not_converted_when_no_callback_needs_them(tmp_path):
    callbacks = [History(), EarlyStopping(monitor="loss"), ProgbarLogger(),
                 ModelCheckpoint(str(tmp_path / "model.h5")), CSVLogger(os.devnull)]
    callback_list = CallbackList(callbacks, model=FakeModel(), epochs=1, steps=2, verbose=2)
    assert all(not callback_list._batch_table[hook] for hook in callback_list._batch_table)
    callback_list.on_train_begin()
    callback_list.on_epoch_begin(0)
    callback_list.on_train_batch_end(0, {"loss": Bomb()})
    callback_list.on_train_batch_end(1, {"loss": Bomb()})
    callback_list.on_epoch_end(0, {"loss": tensor(0.5)})
    callback_list.on_train_end()


def test_batch_logs_converted_once_for_all_callbacks_that_override_batch_hooks(monkeypatch):
    calls = []
    original = callback_list_module.logs_to_float

    def counting(logs):
        calls.append(1)
        return original(logs)

    monkeypatch.setattr(callback_list_module, "logs_to_float", counting)
    seen = []

    class Keras2Style(Callback):  # overrides the Keras 2 alias only
        def on_batch_end(self, batch, logs=None):
            seen.append(("alias", batch, logs["loss"]))

    class Keras3Style(Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(("train", batch, logs["loss"]))

    callback_list = CallbackList([Keras2Style(), Keras3Style(), History()], model=FakeModel(),
                                 epochs=1, steps=2, verbose=0)
    callback_list.on_train_batch_end(0, {"loss": tensor(0.25)})
    callback_list.on_train_batch_end(1, {"loss": tensor(0.5)})
    assert len(calls) == 2  # once per batch, shared by both callbacks
    assert seen == [("alias", 0, 0.25), ("train", 0, 0.25), ("alias", 1, 0.5), ("train", 1, 0.5)]
    assert all(type(loss) is float for _, _, loss in seen)


def test_callback_list_adds_history_and_progbar_once_and_sets_params():
    history = History()
    model = FakeModel()
    callback_list = CallbackList([[history], ProgbarLogger()], add_history=True,
                                 add_progbar=True, model=model, epochs=3, steps=7, verbose=2)
    assert callback_list.callbacks[0] is history
    assert sum(isinstance(c, History) for c in callback_list.callbacks) == 1
    assert sum(isinstance(c, ProgbarLogger) for c in callback_list.callbacks) == 1
    assert model.history is history
    assert history.params == {"epochs": 3, "steps": 7, "verbose": 2}
    assert history.model is model
    with pytest.raises(TypeError, match="Callback"):
        CallbackList([object()])


def test_epoch_logs_converted_in_place_and_shared():
    recorded = []

    class AddKey(Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["extra"] = 1.5

    class Read(Callback):
        def on_epoch_end(self, epoch, logs=None):
            recorded.append(dict(logs))

    logs = {"loss": tensor(0.25)}
    CallbackList([AddKey(), Read()], model=FakeModel()).on_epoch_end(0, logs)
    assert recorded == [{"loss": 0.25, "extra": 1.5}]
    assert logs == {"loss": 0.25, "extra": 1.5} and type(logs["loss"]) is float


# ------------------------------------------------------------------ History
def test_history_records_each_epoch():
    model = run([], [{"loss": 0.5, "val_loss": 0.75}, {"loss": 0.25, "val_loss": 0.5}])
    assert isinstance(model.history, History)
    assert model.history.history == {"loss": [0.5, 0.25], "val_loss": [0.75, 0.5]}
    assert model.history.epoch == [0, 1]


def test_keras2_log_names_read_what_keras3_names_log(tmp_path):
    """Keras 2.0-2.2 logged metrics=["accuracy"] as "acc" and the learning rate as "lr";
    its programs monitor "val_acc" and read ``history["acc"]``: both find the new names."""
    stopper = EarlyStopping(monitor="val_acc", patience=1)
    checkpoint = ModelCheckpoint(str(tmp_path / "e{epoch}.h5"), monitor="val_acc",
                                 save_best_only=True)
    reduce = ReduceLROnPlateau(monitor="val_acc", factor=0.5, patience=1)
    logs = [{"accuracy": a, "val_accuracy": v} for a, v in ((0.5, 0.5), (0.625, 0.75), (0.75, 0.625))]
    model = run([stopper, checkpoint, reduce], logs, model=FakeModel(learning_rate=1.0))
    assert stopper.best == 0.75 and model.stop_training and stopper.stopped_epoch == 2
    assert [path for _, path in model.saves] == ["e1.h5", "e2.h5"]
    history = model.history.history
    assert sorted(history) == ["accuracy", "learning_rate", "val_accuracy"]  # keys as logged
    assert history["acc"] == [0.5, 0.625, 0.75] and history["val_acc"] == [0.5, 0.75, 0.625]
    np.testing.assert_allclose(history["lr"], [1.0, 1.0, 1.0])
    assert "acc" not in history
    with pytest.raises(KeyError):
        history["val_loss"]


# ------------------------------------------------------------ EarlyStopping
def losses(*values, key="val_loss"):
    return [{key: v} for v in values]


def test_early_stopping_patience():
    stopper = EarlyStopping(patience=2)
    model = run([stopper], losses(1.0, 0.5, 0.75, 0.625, 0.25, 0.125))
    # Best at epoch 1; epochs 2 and 3 do not improve: the second one exhausts patience.
    assert model.stop_training and stopper.stopped_epoch == 3
    assert model.history.epoch == [0, 1, 2, 3]
    assert stopper.best == 0.5


def test_early_stopping_patience_zero_stops_at_first_non_improvement():
    stopper = EarlyStopping(monitor="loss")
    model = run([stopper], losses(1.0, 0.5, 0.75, 0.25, key="loss"))
    assert stopper.stopped_epoch == 2 and len(model.history.epoch) == 3


def test_early_stopping_min_delta():
    # 0.9375 improves on 1.0 by 0.0625 < min_delta=0.125: not an improvement.
    stopper = EarlyStopping(min_delta=-0.125, patience=1)  # the sign is ignored
    run([stopper], losses(1.0, 0.9375, 0.5))
    assert stopper.stopped_epoch == 1 and stopper.best == 1.0
    without_delta = EarlyStopping(patience=1)
    model = run([without_delta], losses(1.0, 0.9375, 0.5))
    assert without_delta.stopped_epoch == 0 and len(model.history.epoch) == 3


def test_early_stopping_modes():
    auto = EarlyStopping(monitor="val_accuracy", patience=1)  # "acc" in the name: maximized
    run([auto], losses(0.5, 0.75, 0.625, 0.875, key="val_accuracy"))
    assert auto.stopped_epoch == 2 and auto.best == 0.75
    minimized = EarlyStopping(monitor="val_accuracy", mode="min", patience=1)
    run([minimized], losses(0.5, 0.75, 0.625, 0.875, key="val_accuracy"))
    assert minimized.stopped_epoch == 1 and minimized.best == 0.5
    auc = EarlyStopping(monitor="val_auc", patience=1)
    run([auc], losses(0.5, 0.25, key="val_auc"))
    assert auc.stopped_epoch == 1
    with pytest.warns(UserWarning, match="mode 'sideways' is unknown"):
        unknown = EarlyStopping(mode="sideways")
    assert unknown.mode == "auto"


def test_early_stopping_restores_best_weights():
    def train(model, epoch):  # each epoch changes the weights
        model.weights = [np.full(3, epoch, np.float32), np.full((2, 2), -epoch, np.float32)]

    stopper = EarlyStopping(patience=2, restore_best_weights=True)
    model = run([stopper], losses(1.0, 0.25, 0.5, 0.75, 0.125), on_epoch_begin=train)
    assert stopper.stopped_epoch == 3 and stopper.best_epoch == 1
    np.testing.assert_array_equal(model.weights[0], np.full(3, 1, np.float32))
    np.testing.assert_array_equal(model.weights[1], np.full((2, 2), -1, np.float32))


def test_early_stopping_restores_best_weights_without_stopping():
    def train(model, epoch):
        model.weights = [np.full(3, epoch, np.float32), np.zeros((2, 2), np.float32)]

    stopper = EarlyStopping(patience=5, restore_best_weights=True)
    model = run([stopper], losses(1.0, 0.25, 0.5), on_epoch_begin=train)
    assert not model.stop_training
    np.testing.assert_array_equal(model.weights[0], np.full(3, 1, np.float32))


def test_early_stopping_baseline():
    # Improving but never beating the baseline: patience is not reset by improvements.
    stopper = EarlyStopping(patience=2, baseline=0.25)
    run([stopper], losses(1.0, 0.75, 0.875, 0.5))
    assert stopper.stopped_epoch == 2
    without = EarlyStopping(patience=2)
    model = run([without], losses(1.0, 0.75, 0.875, 0.5))
    assert without.stopped_epoch == 0 and len(model.history.epoch) == 4
    beaten = EarlyStopping(patience=2, baseline=0.9)
    run([beaten], losses(1.0, 0.75, 0.875, 0.5))
    assert beaten.stopped_epoch == 0


def test_early_stopping_start_from_epoch():
    stopper = EarlyStopping(patience=0, start_from_epoch=2)
    run([stopper], losses(0.25, 0.5, 0.75, 1.0, 0.5))
    # Epochs 0 and 1 are not monitored; epoch 2 sets the best, epoch 3 fails to improve.
    assert stopper.stopped_epoch == 3 and stopper.best == 0.75


def test_early_stopping_warns_when_monitor_missing():
    stopper = EarlyStopping(monitor="val_loss")
    with pytest.warns(UserWarning, match="val_loss.*Available metrics are: loss,accuracy"):
        model = run([stopper], [{"loss": 0.5, "accuracy": 0.5}] * 2)
    assert not model.stop_training


def test_early_stopping_reused_across_fits():
    stopper = EarlyStopping(patience=0)
    run([stopper], losses(1.0, 2.0))
    assert stopper.stopped_epoch == 1
    model = run([stopper], losses(3.0, 2.0, 1.0))
    assert stopper.stopped_epoch == 0 and not model.stop_training


# ----------------------------------------------------------- ModelCheckpoint
def test_model_checkpoint_filename_template(tmp_path):
    template = str(tmp_path / "w.{epoch:02d}-{val_loss:.2f}.h5")
    model = run([ModelCheckpoint(template)], losses(0.5, 0.25))
    assert sorted(os.listdir(tmp_path)) == ["w.01-0.50.h5", "w.02-0.25.h5"]
    assert [method for method, _ in model.saves] == ["save", "save"]


def test_model_checkpoint_weights_only_and_weights_h5_suffix(tmp_path):
    model = run([ModelCheckpoint(str(tmp_path / "a{epoch}.h5"), save_weights_only=True)],
                losses(0.5))
    assert model.saves[0][0] == "save_weights"
    model = run([ModelCheckpoint(str(tmp_path / "b{epoch}.weights.h5"))], losses(0.5))
    assert model.saves[0][0] == "save_weights"
    assert sorted(os.listdir(tmp_path)) == ["a1.h5", "b1.weights.h5"]


def test_model_checkpoint_save_best_only(tmp_path, capsys):
    path = tmp_path / "best.h5"

    def train(model, epoch):
        model.weights[0] = np.full(3, epoch, np.float32)

    checkpoint = ModelCheckpoint(str(path), save_best_only=True, verbose=1)
    model = run([checkpoint], losses(0.5, 0.75, 0.25, 0.375), on_epoch_begin=train)
    assert len(model.saves) == 2  # epochs 0 and 2
    assert path.read_text() == "save:2.0"
    assert checkpoint.best == 0.25
    out = capsys.readouterr().out
    assert f"Epoch 1: val_loss improved from inf to 0.50000, saving model to {path}" in out
    assert "Epoch 2: val_loss did not improve from 0.50000" in out
    assert f"Epoch 3: val_loss improved from 0.50000 to 0.25000, saving model to {path}" in out
    assert os.listdir(tmp_path) == ["best.h5"]


def test_model_checkpoint_max_mode_and_initial_threshold(tmp_path):
    model = run([ModelCheckpoint(str(tmp_path / "e{epoch}.h5"), monitor="val_accuracy",
                                 save_best_only=True, initial_value_threshold=0.6)],
                losses(0.5, 0.75, 0.625, 0.875, key="val_accuracy"))
    assert [path for _, path in model.saves] == ["e2.h5", "e4.h5"]


def test_model_checkpoint_missing_monitor_warns_and_skips(tmp_path):
    with pytest.warns(UserWarning, match="Can save best model only with val_loss available"):
        model = run([ModelCheckpoint(str(tmp_path / "x.h5"), save_best_only=True)],
                    [{"loss": 0.5}])
    assert model.saves == [] and os.listdir(tmp_path) == []


def test_model_checkpoint_integer_save_freq_counts_batches(tmp_path):
    template = str(tmp_path / "ck-{epoch}-{batch}-{loss:.2f}.weights.h5")

    def batch_logs(epoch, batch):
        return {"loss": tensor(0.25 * (batch + 1))}

    checkpoint = ModelCheckpoint(template, save_freq=3)
    model = run([checkpoint], losses(0.0, 0.0, 0.0), steps=2, batch_logs=batch_logs)
    # Batches counted across epochs: the 3rd (epoch 2, batch 1) and the 6th (epoch 3, batch 2).
    assert [path for _, path in model.saves] == ["ck-2-1-0.25.weights.h5",
                                                 "ck-3-2-0.50.weights.h5"]


def test_model_checkpoint_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="Unrecognized save_freq"):
        ModelCheckpoint("x.h5", save_freq="batch")
    with pytest.raises(KeyError, match="Failed to format this callback filepath"):
        run([ModelCheckpoint(str(tmp_path / "{val_acc}.h5"))], losses(0.5))


def test_model_checkpoint_write_is_atomic(tmp_path):
    path = tmp_path / "model.h5"
    path.write_text("previous checkpoint")

    class FailingModel(FakeModel):
        def save(self, filepath, overwrite=True):
            with open(filepath, "w") as f:
                f.write("half a checkpo")
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        run([ModelCheckpoint(str(path))], losses(0.5), model=FailingModel())
    assert path.read_text() == "previous checkpoint"
    assert os.listdir(tmp_path) == ["model.h5"]  # no temporary file left
    run([ModelCheckpoint(str(path))], losses(0.5))
    assert path.read_text() == "save:0.0"
    assert os.listdir(tmp_path) == ["model.h5"]


# --------------------------------------------------------- ReduceLROnPlateau
def test_reduce_lr_on_plateau_with_cooldown_and_min_lr():
    recorded = []
    reduce = ReduceLROnPlateau(factor=0.5, patience=1, cooldown=2, min_lr=0.2)
    model = run([reduce, LambdaCallback(on_epoch_end=lambda e, logs: recorded.append(logs))],
                losses(*[1.0] * 8), model=FakeModel(learning_rate=1.0))
    # Reductions after epochs 1, 3 and 5 (cooldown 2 skips counting for two epochs); the
    # third is clipped at min_lr; "learning_rate" is the rate used during the epoch.
    expected = [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2]
    np.testing.assert_allclose([logs["learning_rate"] for logs in recorded], expected,
                               rtol=1e-6)
    np.testing.assert_allclose(model.history.history["learning_rate"], expected, rtol=1e-6)
    np.testing.assert_allclose(float(ops.convert_to_numpy(model.optimizer.learning_rate)), 0.2,
                               rtol=1e-6)


def test_reduce_lr_on_plateau_improvements_reset_the_wait():
    model = run([ReduceLROnPlateau(factor=0.5, patience=2)],
                losses(1.0, 0.5, 0.75, 0.25, 0.375), model=FakeModel(learning_rate=1.0))
    assert model.history.history["learning_rate"] == [1.0] * 5
    maximized = run([ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1)],
                    losses(0.5, 0.25, key="val_accuracy"), model=FakeModel(learning_rate=1.0))
    assert float(ops.convert_to_numpy(maximized.optimizer.learning_rate)) == 0.5


def test_reduce_lr_on_plateau_errors_and_warnings():
    with pytest.raises(ValueError, match="factor >= 1.0"):
        ReduceLROnPlateau(factor=1.0)
    with pytest.warns(UserWarning, match="`val_loss` which is not available"):
        run([ReduceLROnPlateau()], [{"loss": 0.5}])


# ------------------------------------------------------- LearningRateScheduler
def test_learning_rate_scheduler_epoch_only_signature(capsys):
    model = run([LearningRateScheduler(lambda epoch: 0.25 * (epoch + 1), verbose=1)],
                losses(1.0, 1.0, 1.0))
    assert model.history.history["learning_rate"] == [0.25, 0.5, 0.75]
    out = capsys.readouterr().out
    assert "Epoch 3: LearningRateScheduler setting learning rate to 0.75." in out


def test_learning_rate_scheduler_epoch_and_lr_signature():
    def halve_after_first(epoch, lr):
        return lr if epoch == 0 else lr * 0.5

    model = run([LearningRateScheduler(halve_after_first)], losses(1.0, 1.0, 1.0),
                model=FakeModel(learning_rate=1.0))
    assert model.history.history["learning_rate"] == [1.0, 0.5, 0.25]

    class Schedule:  # a callable object with (epoch) only
        def __call__(self, epoch):
            return 0.125

    model = run([LearningRateScheduler(Schedule())], losses(1.0))
    assert model.history.history["learning_rate"] == [0.125]


def test_learning_rate_scheduler_rejects_non_numbers():
    with pytest.raises(ValueError, match="should be a float"):
        run([LearningRateScheduler(lambda epoch: "fast")], losses(1.0))


# ----------------------------------------------------------------- CSVLogger
def test_csv_logger_content_and_append(tmp_path):
    path = tmp_path / "log.csv"
    run([CSVLogger(str(path))], [{"loss": 0.5, "accuracy": 0.25}, {"loss": 0.25, "accuracy": 0.5}])
    assert path.read_bytes() == b"epoch,accuracy,loss\r\n0,0.25,0.5\r\n1,0.5,0.25\r\n"
    run([CSVLogger(str(path), append=True)], [{"loss": 0.125, "accuracy": 0.75}])
    assert path.read_bytes().endswith(b"1,0.5,0.25\r\n0,0.75,0.125\r\n")
    assert path.read_bytes().count(b"epoch") == 1
    run([CSVLogger(str(path), separator=";")], [{"loss": 0.5}, {"loss": 0.25, "val_loss": 1.0}])
    assert path.read_bytes() == b"epoch;loss\r\n0;0.5\r\n1;0.25\r\n"


def test_csv_logger_missing_keys_and_expected_validation_columns(tmp_path):
    path = tmp_path / "log.csv"
    model = FakeModel()
    model.metrics_names = ["loss", "val_loss"]
    run([CSVLogger(str(path))], [{"loss": 0.5}, {"loss": 0.25, "val_loss": 1.0}], model=model)
    assert path.read_bytes() == b"epoch,loss,val_loss\r\n0,0.5,NA\r\n1,0.25,1.0\r\n"


# ------------------------------------------------------------ TerminateOnNaN
def test_terminate_on_nan(capsys):
    def batch_logs(epoch, batch):
        return {"loss": tensor(math.nan if (epoch, batch) == (1, 1) else 0.5)}

    model = run([TerminateOnNaN()], losses(0.5, 0.5, 0.5, key="loss"), steps=3,
                batch_logs=batch_logs)
    assert model.stop_training and model.history.epoch == [0, 1]
    assert "Batch 1: Invalid loss, terminating training" in capsys.readouterr().out
    infinite = run([TerminateOnNaN()], losses(0.5, key="loss"), steps=2,
                   batch_logs=lambda e, b: {"loss": tensor(math.inf)})
    assert infinite.stop_training


# ------------------------------------------------------------ LambdaCallback
def test_lambda_callback_calls_given_functions():
    calls = []
    callback = LambdaCallback(
        on_train_begin=lambda logs: calls.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: calls.append(f"epoch_begin {epoch}"),
        on_batch_begin=lambda batch, logs: calls.append(f"batch_begin {batch}"),
        on_batch_end=lambda batch, logs: calls.append(f"batch_end {batch} {logs['loss']}"),
        on_epoch_end=lambda epoch, logs: calls.append(f"epoch_end {epoch} {logs['loss']}"),
        on_train_end=lambda logs: calls.append("train_end"),
    )
    run([callback], losses(0.5, key="loss"), steps=2)
    assert calls == ["train_begin", "epoch_begin 0", "batch_begin 0", "batch_end 0 0.5",
                     "batch_begin 1", "batch_end 1 0.5", "epoch_end 0 0.5", "train_end"]
    test_calls = []
    callback = LambdaCallback(on_test_end=lambda logs: test_calls.append(logs))
    callback_list = CallbackList([callback], model=FakeModel())
    callback_list.on_test_end({"loss": tensor(0.25)})
    assert test_calls == [{"loss": 0.25}]
    with pytest.raises(TypeError, match="unknown hooks"):
        LambdaCallback(on_epoch_finish=print)


# ------------------------------------------------------------- ProgbarLogger
def metrics_for(epoch):
    return {"loss": 0.5 / (epoch + 1), "val_loss": 0.25 / (epoch + 1)}


def run_timed(clock, verbose, epochs=2, steps=4, batch_logs=None):
    """A loop whose batch k of each epoch ends at 0.25 * (k + 1) seconds."""

    def tick(model, epoch):
        clock.now = 0.0

    def timed_batch_logs(epoch, batch):
        clock.now = 0.25 * (batch + 1)
        if batch_logs is not None:
            return batch_logs(epoch, batch)
        return {"loss": tensor(metrics_for(epoch)["loss"])}

    return run([], [metrics_for(e) for e in range(epochs)], steps=steps, verbose=verbose,
               batch_logs=timed_batch_logs, on_epoch_begin=tick)


def test_progbar_logger_verbose_0_prints_nothing(clock, capsys):
    run_timed(clock, verbose=0)
    assert capsys.readouterr().out == ""


def test_progbar_logger_verbose_2_one_line_per_epoch(clock, capsys):
    run_timed(clock, verbose=2)
    # 1 s per epoch of 4 steps: 1s/epoch, 250ms/step.
    assert capsys.readouterr().out == (
        "Epoch 1/2\n"
        "4/4 - 1s - loss: 0.5000 - val_loss: 0.2500 - 1s/epoch - 250ms/step\n"
        "Epoch 2/2\n"
        "4/4 - 1s - loss: 0.2500 - val_loss: 0.1250 - 1s/epoch - 250ms/step\n"
    )


def test_progbar_logger_verbose_1_not_a_terminal_prints_final_lines(clock, capsys):
    run_timed(clock, verbose=1)
    # Step time leaves out the first step: (1.0 - 0.25) / 3 = 250ms.
    assert capsys.readouterr().out == (
        "Epoch 1/2\n"
        "4/4 [==============================] - 1s 250ms/step - loss: 0.5000 - val_loss: 0.2500\n"
        "Epoch 2/2\n"
        "4/4 [==============================] - 1s 250ms/step - loss: 0.2500 - val_loss: 0.1250\n"
    )


def test_progbar_logger_single_epoch_and_tiny_values(clock, capsys):
    run([], [{"loss": 0.0001}], steps=12, verbose=1)
    out = capsys.readouterr().out
    assert out.startswith("12/12 [==============================] - 0s 0s/step - loss: 1.0000e-04")
    assert "Epoch" not in out


def test_progbar_logger_on_terminal_redraws_throttled_and_converts_lazily(
        clock, capsys, monkeypatch):
    monkeypatch.setattr(progbar_module, "_stdout_is_dynamic", lambda: True)

    def batch_logs(epoch, batch):
        # Only batch 0 (the first redraw) and the end of the epoch are displayed;
        # the clock moves 0.25 s per batch, past the 0.1 s interval, so make it stand
        # still after batch 0 to check that undisplayed logs are never converted.
        if batch == 0:
            return {"loss": tensor(0.75)}
        clock.now = 0.3
        return {"loss": Bomb()}

    run_timed(clock, verbose=1, epochs=1, steps=4, batch_logs=batch_logs)
    out = capsys.readouterr().out
    # 1/4 of 30 characters: 7 done (the last one drawn ">"), 23 to go.
    first = "\r1/4 [" + "=" * 6 + ">" + "." * 23 + "] - ETA: 0s - loss: 0.7500"
    # Step time after the first step: (0.3 - 0.25) / 3 = 17ms.
    final = ("\r4/4 [" + "=" * 30 + "] - 0s 17ms/step - loss: 0.5000 - val_loss: 0.2500")
    assert out == first + final + "\n"


def test_progbar_logger_evaluate_outside_fit(clock, capsys):
    callback_list = CallbackList([], add_progbar=True, model=FakeModel(), epochs=1, steps=2,
                                 verbose=1)
    callback_list.on_test_begin()
    for batch in range(2):
        clock.now = 0.5 * (batch + 1)
        callback_list.on_test_batch_end(batch, {"loss": tensor(0.5)})
    callback_list.on_test_end({"loss": tensor(0.25)})
    assert capsys.readouterr().out == (
        "2/2 [==============================] - 1s 500ms/step - loss: 0.2500\n"
    )


def test_progbar_logger_validation_inside_fit_is_silent(clock, capsys):
    callback_list = CallbackList([], add_progbar=True, model=FakeModel(), epochs=1, steps=1,
                                 verbose=1)
    callback_list.on_train_begin()
    callback_list.on_epoch_begin(0)
    callback_list.on_train_batch_end(0, {"loss": tensor(0.5)})
    callback_list.on_test_begin()
    callback_list.on_test_batch_end(0, {"loss": Bomb()})
    callback_list.on_test_end({"loss": tensor(0.25)})
    callback_list.on_epoch_end(0, {"loss": tensor(0.5), "val_loss": tensor(0.25)})
    callback_list.on_train_end()
    assert capsys.readouterr().out == (
        "1/1 [==============================] - 0s 0s/step - loss: 0.5000 - val_loss: 0.2500\n"
    )


# ------------------------------------------------------------------ Progbar
def test_progbar_throttles_redraws_with_a_fake_clock(clock, capsys):
    bar = Progbar(target=10, interval=0.05)
    bar._dynamic_display = True  # as on a terminal
    clock.now = 1.0
    bar.update(1, [("loss", 1.0)])  # the first update draws
    clock.now = 1.01
    bar.update(2, [("loss", 2.0)])  # within 0.05 s: recorded, not drawn
    clock.now = 1.04
    bar.update(3, [("loss", 3.0)])  # still within 0.05 s of the last draw
    clock.now = 1.2
    bar.update(4, [("loss", 6.0)])  # drawn: average of 1, 2, 3, 6
    clock.now = 2.0
    bar.update(10, [("loss", 0.5)])  # the final update always draws, with the final value
    out = capsys.readouterr().out
    # ETA = seconds per step after the first (0.2 / 3) times the 6 steps left = 0.4 s.
    assert out == (
        "\r 1/10 [" + "=" * 2 + ">" + "." * 27 + "] - ETA: 9s - loss: 1.0000"
        "\r 4/10 [" + "=" * 11 + ">" + "." * 18 + "] - ETA: 0s - loss: 3.0000"
        "\r10/10 [==============================] - 2s 111ms/step - loss: 0.5000\n"
    )
    assert out.count("\r") == 3


def test_progbar_pads_shorter_lines_and_stateful_metrics(clock, capsys):
    bar = Progbar(target=None, interval=0.0, stateful_metrics=["acc"])
    bar._dynamic_display = True
    clock.now = 0.5
    bar.update(1, [("acc", 0.5), ("longer_name", 1.0)])
    clock.now = 1.5
    bar.update(2, [("acc", 0.75)])
    out = capsys.readouterr().out
    first = "\r      1/Unknown - 0s 500ms/step - acc: 0.5000 - longer_name: 1.0000"
    # Three characters shorter ("1s/step"): padded to erase the end of the previous line.
    second = "\r      2/Unknown - 2s 1s/step - acc: 0.7500 - longer_name: 1.0000   "
    assert out == first + second


def test_progbar_not_a_terminal_prints_only_the_final_line(clock, capsys):
    bar = Progbar(target=3, interval=0.0)
    for step in range(1, 4):
        clock.now = float(step)
        bar.add(1, [("loss", float(step))])
    # Weighted running average over the steps of the stateless "loss": final value shown.
    assert capsys.readouterr().out == (
        "3/3 [==============================] - 3s 1s/step - loss: 3.0000\n"
    )


def test_progbar_verbose_2_and_0(clock, capsys):
    bar = Progbar(target=2, verbose=2)
    clock.now = 0.5
    bar.update(1, [("loss", 1.0)])
    clock.now = 1.0
    bar.update(2, [("loss", 0.5)])
    silent = Progbar(target=2, verbose=0)
    silent.update(2, [("loss", 1.0)])
    assert capsys.readouterr().out == "2/2 - 1s - loss: 0.5000 - 1s/epoch - 500ms/step\n"
