"""Optimizers' moving averages of the weights (``use_ema``), gradient
accumulation (``gradient_accumulation_steps``), the
``SwapEMAWeights`` callback, and the test hooks ``fit`` calls around its
validation, on every backend, against NumPy's recursion."""
import numpy as np
import pytest

import kfacade
from kfacade import callbacks, layers, optimizers
from helpers import assert_close


def _ema_reference(trajectory, momentum):
    """NumPy's EMA of a list of weight values, one per step (the first copies)."""
    average = trajectory[0]
    for value in trajectory[1:]:
        average = momentum * average + (1 - momentum) * value
    return average


def test_apply_keeps_the_moving_average_and_finalize_writes_it():
    variable = kfacade.Variable(np.array([1.0, -2.0], "float32"))
    optimizer = optimizers.SGD(learning_rate=0.5, use_ema=True, ema_momentum=0.8)
    trajectory = []
    for grad in ([1.0, 0.0], [0.5, 1.0], [-1.0, 2.0]):
        optimizer.apply([np.array(grad, "float32")], [variable])
        trajectory.append(kfacade.ops.convert_to_numpy(variable.value).copy())
    (average,) = optimizer._model_variables_moving_average
    expected = _ema_reference(trajectory, 0.8)
    assert_close(average, expected)
    assert_close(variable, trajectory[-1])  # the raw weights train on
    optimizer.finalize_variable_values([variable])
    assert_close(variable, expected)


def test_overwrite_frequency_puts_the_average_in_every_nth_step():
    variable = kfacade.Variable(np.array([0.0], "float32"))
    optimizer = optimizers.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5,
                               ema_overwrite_frequency=2)
    optimizer.apply([np.array([-1.0], "float32")], [variable])   # w = 1, avg = 1
    assert_close(variable, [1.0])
    optimizer.apply([np.array([-3.0], "float32")], [variable])   # w = 4, avg = 2.5 -> w = 2.5
    assert_close(variable, [2.5])
    assert_close(optimizer._model_variables_moving_average[0], [2.5])


def test_averages_come_first_among_the_slots_as_keras_saves_them():
    variables = [kfacade.Variable(np.zeros((2,), "float32"), name="w")]
    optimizer = optimizers.Adam(use_ema=True)
    optimizer.build(variables)
    names = [v.name for v in optimizer.variables]
    assert len(names) == 5, names  # iteration, learning_rate, average, momentum, velocity
    assert names[2].endswith("average") and names[3].endswith("momentum"), names
    config = optimizer.get_config()
    assert config["use_ema"] is True
    assert optimizers.Adam.from_config(config).use_ema is True


@pytest.mark.parametrize("kwargs, message", [
    (dict(ema_momentum=1.5), "`ema_momentum` must be in the range"),
    (dict(ema_overwrite_frequency=0.5), "`ema_overwrite_frequency` must be an integer"),
])
def test_bad_ema_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optimizers.SGD(use_ema=True, **kwargs)


def _model(seed=3):
    kfacade.utils.set_random_seed(seed)
    model = kfacade.Sequential([layers.Input((3,)), layers.Dense(1)])
    return model


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]], "float32")).astype("float32")
    return x, y


class _Recorder(callbacks.Callback):
    """Weights after each batch, and the weights each evaluation began with."""

    def __init__(self):
        super().__init__()
        self.after_batch, self.test_begins = [], []

    def on_train_batch_end(self, batch, logs=None):
        self.after_batch.append([np.array(w) for w in self.model.get_weights()])

    def on_test_begin(self, logs=None):
        self.test_begins.append([np.array(w) for w in self.model.get_weights()])


def test_fit_ends_with_the_moving_average_of_the_trained_weights():
    """EMA does not change the raw trajectory: a fit without it gives the
    weights after each batch, whose NumPy EMA is what `fit` with it ends on."""
    x, y = _data()
    plain, recorder = _model(), _Recorder()
    plain.compile(optimizer=optimizers.SGD(0.05), loss="mse")
    plain.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0, callbacks=[recorder])
    averaged = _model()
    averaged.compile(optimizer=optimizers.SGD(0.05, use_ema=True, ema_momentum=0.7), loss="mse")
    averaged.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for index, weight in enumerate(averaged.get_weights()):
        expected = _ema_reference([step[index] for step in recorder.after_batch], 0.7)
        assert_close(weight, expected, err_msg=f"weight {index}")


def _fit_with_validation(extra_callbacks):
    x, y = _data()
    model, recorder = _model(), _Recorder()
    model.compile(optimizer=optimizers.SGD(0.05, use_ema=True, ema_momentum=0.7), loss="mse")
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0,
                        validation_data=(x, y), callbacks=[*extra_callbacks, recorder])
    return model, recorder, history


def test_swap_ema_weights_validates_with_the_averages_and_trains_on_the_raw_weights():
    x, y = _data()
    model, recorder, history = _fit_with_validation([callbacks.SwapEMAWeights()])
    _, unswapped, _ = _fit_with_validation([])
    # fit ran the test hooks once per epoch,
    assert len(recorder.test_begins) == 2
    # with the EMA weights in the model (the unswapped run shows the raw ones),
    assert not np.allclose(recorder.test_begins[0][0], unswapped.test_begins[0][0])
    # training went on from the raw weights, as without the callback,
    for swapped_step, raw_step in zip(recorder.after_batch, unswapped.after_batch):
        assert_close(swapped_step[0], raw_step[0])
    # and the last validation saw the weights fit finalized.
    assert_close(model.evaluate(x, y, verbose=0), history.history["val_loss"][-1])


def test_swap_ema_weights_needs_an_ema_optimizer():
    x, y = _data()
    model = _model()
    model.compile(optimizer=optimizers.SGD(0.05), loss="mse")
    with pytest.raises(ValueError, match="use_ema=True"):
        model.fit(x, y, epochs=1, verbose=0, validation_data=(x, y),
                  callbacks=[callbacks.SwapEMAWeights()])


# ------------------------------------------------------ gradient accumulation

def test_accumulation_updates_every_nth_step_with_the_mean_gradient():
    variable = kfacade.Variable(np.array([1.0, 2.0], "float32"))
    optimizer = optimizers.SGD(learning_rate=0.5, gradient_accumulation_steps=2)
    optimizer.apply([np.array([1.0, -1.0], "float32")], [variable])
    assert_close(variable, [1.0, 2.0])  # accumulated, not applied
    optimizer.apply([np.array([3.0, 1.0], "float32")], [variable])
    assert_close(variable, [1.0 - 0.5 * 2.0, 2.0])  # the mean gradient (2, 0)
    assert int(kfacade.ops.convert_to_numpy(optimizer.iterations)) == 1
    assert_close(optimizer._accumulated_gradients[0], [0.0, 0.0])


def test_accumulated_adam_equals_adam_on_the_mean_gradients():
    """Slots and bias corrections move once per accumulation: Adam over
    pairs of gradients equals Adam over their means."""
    rng = np.random.default_rng(1)
    grads = rng.normal(size=(6, 3)).astype("float32")
    accumulated = kfacade.Variable(np.ones(3, "float32"))
    plain = kfacade.Variable(np.ones(3, "float32"))
    accumulating = optimizers.Adam(0.1, gradient_accumulation_steps=2)
    reference = optimizers.Adam(0.1)
    for grad in grads:
        accumulating.apply([grad], [accumulated])
    for pair in grads.reshape(3, 2, 3):
        reference.apply([pair.mean(axis=0)], [plain])
    assert_close(accumulated, plain)


def test_fit_with_accumulation_equals_fit_with_the_larger_batch():
    x, y = _data()
    big = _model()
    big.compile(optimizer=optimizers.SGD(0.05), loss="mse")
    big.fit(x, y, batch_size=12, epochs=2, shuffle=False, verbose=0)
    small = _model()
    small.compile(optimizer=optimizers.SGD(0.05, gradient_accumulation_steps=2), loss="mse")
    small.fit(x, y, batch_size=6, epochs=2, shuffle=False, verbose=0)
    for got, expected in zip(small.get_weights(), big.get_weights()):
        assert_close(got, expected)


# ---------------------------------------------- callbacks over a MultiOptimizer

def _multi_model(kernel_optimizer, bias_optimizer):
    model = _model()
    optimizer = optimizers.MultiOptimizer(optimizers.OptimizerMap(
        bias_optimizer, {".*kernel.*": kernel_optimizer}))
    model.compile(optimizer=optimizer, loss="mse")
    return model


def test_learning_rate_callbacks_set_and_log_each_sub_optimizers_rate():
    """As Keras: one rate per sub-optimizer, logged as learning_rate_<name>."""
    x, y = _data()
    model = _multi_model(optimizers.SGD(0.1, name="kernels"), optimizers.SGD(0.2, name="biases"))
    history = model.fit(x, y, epochs=2, verbose=0, callbacks=[
        callbacks.LearningRateScheduler(lambda epoch, lr: lr / 2),
        # min_delta=inf: no epoch improves, so the rate drops after each one
        # (after the epoch's logs are written, as in Keras).
        callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=np.inf)])
    assert history.history["learning_rate_kernels"] == pytest.approx([0.05, 0.0125])
    assert history.history["learning_rate_biases"] == pytest.approx([0.1, 0.025])


def test_swap_ema_weights_swaps_the_sub_optimizers_that_average():
    x, y = _data()
    model = _multi_model(optimizers.SGD(0.05, use_ema=True, ema_momentum=0.7),
                         optimizers.SGD(0.05))
    recorder = _Recorder()
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0, validation_data=(x, y),
              callbacks=[callbacks.SwapEMAWeights(), recorder])
    kernel_optimizer = model.optimizer.optimizers[1] if model.optimizer.optimizers[1].use_ema \
        else model.optimizer.optimizers[0]
    (average,) = kernel_optimizer._model_variables_moving_average
    # The kernel was validated on its average; the bias, which has none, on itself.
    assert_close(recorder.test_begins[0][0], average)
    assert_close(recorder.test_begins[0][1], recorder.after_batch[-1][1])
