"""Seeds reach adapters already drawn; per-thread state.

(That adapters import only floor 0 is ``tests/test_import_floors.py``.)

- a random op with ``seed=None`` inside a compiled step never repeats its
  noise silently: the trainer's steps carry a generator for it (Keras 2's
  VAE), a step that does not carry it is refused with a message naming
  ``SeedGenerator``, and steps that are not traced draw afresh;
- a ``SeedGenerator``'s stream lives in its state variable on every backend:
  restoring the variable rewinds it (eagerly and in a compiled step);
- the stateless scope and the training flag are per thread, the automatic
  names unique across threads.
"""
import threading

import numpy as np
import pytest

import kfacade
from kfacade import layers
from kfacade.backend import adapter as B
from kfacade.backend import state
from kfacade.engine import call_context
from kfacade.layers.layer import unique_name
from kfacade.random import SeedGenerator, draw_seed
from kfacade.variables import StatelessScope, Variable


def _run_twice(fn, state_variables):
    step = B.compile_function(fn, state_variables, False)
    return B.convert_to_numpy(step(None)["x"]), B.convert_to_numpy(step(None)["x"])


def test_unseeded_random_op_in_a_compiled_step_raises_or_varies():
    def fn(data):
        return {"x": kfacade.random.uniform((16,))}

    try:
        first, second = _run_twice(fn, [])
    except ValueError as error:
        message = str(error)
        assert "SeedGenerator" in message and "seed=None" in message, message
    else:  # a step the adapter does not trace (torch) runs the Python draw each time
        assert not np.array_equal(first, second), "unseeded noise repeated between steps"


def test_seed_generator_in_a_compiled_step_varies_and_rewinds():
    generator = SeedGenerator(3)
    saved = generator.state.numpy()

    def fn(data):
        return {"x": kfacade.random.normal((16,), seed=generator)}

    first, second = _run_twice(fn, [generator.state])
    assert not np.array_equal(first, second), "a SeedGenerator must advance between steps"
    generator.state.assign(saved)
    again, _ = _run_twice(fn, [generator.state])
    np.testing.assert_array_equal(again, first)


def test_restoring_a_dropout_seed_state_rewinds_its_masks():
    layer = layers.Dropout(0.5, seed=7)
    x = np.ones((8, 32), dtype="float32")
    layer(x, training=True)  # builds
    saved = layer.seed_generator.state.numpy()
    first = B.convert_to_numpy(layer(x, training=True))
    second = B.convert_to_numpy(layer(x, training=True))
    assert not np.array_equal(first, second)
    layer.seed_generator.state.assign(saved)
    np.testing.assert_array_equal(B.convert_to_numpy(layer(x, training=True)), first)


def test_draw_seed_values_and_refusals():
    assert draw_seed(5) == 5
    assert isinstance(draw_seed(None), int)
    generator = SeedGenerator(11)
    np.testing.assert_array_equal(B.convert_to_numpy(draw_seed(generator)), [0, 11])
    np.testing.assert_array_equal(generator.state.numpy(), [1, 11])
    with pytest.raises(ValueError, match="Received: seed='abc'"):
        draw_seed("abc")
    # A pure step (a stateless scope) that does not carry the step seed generator.
    with state.compiled_step_trace(), StatelessScope(), pytest.raises(ValueError, match="SeedGenerator"):
        draw_seed(None)
    assert draw_seed(5) == 5 and not state.in_compiled_step_trace()


def _in_thread(fn):
    result = []
    thread = threading.Thread(target=lambda: result.append(fn()))
    thread.start()
    thread.join()
    return result[0]


def test_stateless_scope_is_per_thread():
    variable = Variable(np.zeros(3, dtype="float32"))
    with StatelessScope([(variable, B.convert_to_tensor(np.ones(3, dtype="float32")))]) as scope:
        assert state.active_stateless_scope() is scope
        np.testing.assert_array_equal(B.convert_to_numpy(variable.value), np.ones(3))
        assert _in_thread(state.active_stateless_scope) is None
        other = _in_thread(lambda: B.convert_to_numpy(variable.value))
        np.testing.assert_array_equal(other, np.zeros(3))


def test_training_flag_is_per_thread():
    seen = {}

    class Probe(layers.Layer):
        def call(self, inputs, training=None):
            seen["inner"] = training
            seen["other thread"] = _in_thread(call_context.current_training)
            return inputs

    Probe()(np.zeros((1, 2), dtype="float32"), training=True)
    assert seen == {"inner": True, "other thread": None}


def test_automatic_names_are_unique_across_threads():
    names = []

    def make():
        names.extend(unique_name("thread_probe") for _ in range(200))

    threads = [threading.Thread(target=make) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(names)) == 800


def test_fused_update_rule_describes_built_in_rules_only():
    from kfacade import optimizers, ops

    variables = [Variable(np.zeros(3, dtype="float32")), Variable(np.zeros(2, dtype="float32"))]
    optimizer = optimizers.RMSprop(learning_rate=0.1, momentum=0.5)
    optimizer.build(variables)
    rule = optimizer.fused_update_rule(variables[::-1], 0.1)
    assert rule.name == "rmsprop" and rule.options == {"centered": False}
    assert rule.coefficients == {"learning_rate": 0.1, "rho": 0.9, "momentum": 0.5,
                                 "epsilon": 1e-7}
    # Slots are aligned with the variables asked about, in their order.
    assert [slot.shape for slot in rule.slots["velocities"]] == [(2,), (3,)]
    assert set(rule.slots) == {"velocities", "momentums"}

    class HalfGradientAdam(optimizers.Adam):
        def _update_variable(self, gradient, variable, scalars):
            super()._update_variable(ops.multiply(gradient, 0.5), variable, scalars)

    for optimizer in (HalfGradientAdam(), optimizers.Adagrad()):
        optimizer.build(variables)
        assert optimizer.fused_update_rule(variables, 0.1) is None, type(optimizer).__name__


def test_fused_rnn_hooks_receive_builtin_activation_names():
    from kfacade import activations, ops
    from kfacade.layers.rnn.lstm import builtin_activation_name

    def tanh(x):  # a user's function that only shares the name
        return ops.tanh(x)

    assert builtin_activation_name(activations.tanh) == "tanh"
    assert builtin_activation_name(ops.sigmoid) == "sigmoid"
    assert builtin_activation_name(tanh) is None
    assert builtin_activation_name(lambda x: x) is None


def test_unseeded_noise_in_a_trained_layer_changes_every_step():
    """Keras 2's VAE: ``K.random_normal(shape)`` in a Lambda, trained with fit."""
    from kfacade import backend as K

    losses = []

    class Record(kfacade.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            losses.append(float(logs["loss"]))

    kfacade.utils.set_random_seed(3)
    inputs = kfacade.Input((4,))
    noisy = layers.Lambda(lambda x: x + K.random_normal(K.shape(x)))(inputs)
    model = kfacade.Model(inputs, layers.Dense(1, kernel_initializer="ones")(noisy))
    model.compile(optimizer=kfacade.optimizers.SGD(0.0), loss="mse")  # weights never move
    x, y = np.zeros((8, 4), "float32"), np.zeros((8, 1), "float32")
    model.fit(x, y, batch_size=8, epochs=4, verbose=0, callbacks=[Record()])
    # The loss is the noise's own: it must differ at every step.
    assert len(set(losses)) == 4, losses
