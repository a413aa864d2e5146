"""Bugs a Keras user hits first, each checked on every backend (issue 10).

- a ``Variable`` on either side of an operator inside a compiled step;
- dict inputs and targets matched by input and output *name*, not order.
"""
import numpy as np
import pytest

import kfacade as keras


class Scale(keras.layers.Layer):
    """The custom layer of the report: operators between a tensor and a Variable."""

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(), initializer="ones", name="scale")
        self.shift = self.add_weight(shape=(input_shape[-1],), initializer="zeros", name="shift")

    def call(self, x):
        # Both sides, every arithmetic operator.
        y = x * self.scale + self.shift
        y = y - self.shift * 2.0 + 2.0 * self.shift
        y = (y / self.scale) * (self.scale / 1.0) - (0.0 - self.shift)
        return y ** 1 * self.scale ** 2


def test_variable_operators_inside_compiled_predict_and_fit():
    model = keras.Sequential([keras.layers.Input((3,)), Scale()])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    x = np.arange(12, dtype="float32").reshape(4, 3) / 12.0
    np.testing.assert_allclose(model.predict(x, verbose=0), x, rtol=1e-6)
    history = model.fit(x, np.zeros_like(x), epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert history.history["loss"][1] < history.history["loss"][0]  # the scale is trained
    assert float(model.layers[0].scale.numpy()) != 1.0


def two_input_model():
    main = keras.Input((20,), name="main_input")
    aux = keras.Input((5,), name="aux_input")
    hidden = keras.layers.Dense(4, name="hidden")(keras.layers.concatenate([main, aux]))
    main_out = keras.layers.Dense(1, name="main_output")(hidden)
    aux_out = keras.layers.Dense(2, name="aux_output")(aux)
    return keras.Model([main, aux], [main_out, aux_out])


def test_dict_inputs_and_targets_match_by_name():
    keras.utils.set_random_seed(2)
    model = two_input_model()
    model.compile(optimizer=keras.optimizers.SGD(0.01),
                  loss={"aux_output": "mae", "main_output": "mse"})
    rng = np.random.RandomState(0)
    main, aux = rng.rand(32, 20).astype("float32"), rng.rand(32, 5).astype("float32")
    y_main, y_aux = rng.rand(32, 1).astype("float32"), rng.rand(32, 2).astype("float32")
    # The dict's key order differs from the model's input order.
    by_name = {"aux_input": aux, "main_input": main}
    by_position = [main, aux]
    for a, b in zip(model.predict(by_name, verbose=0), model.predict(by_position, verbose=0)):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    direct = model(by_name)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(direct[1]),
                               model.predict(by_position, verbose=0)[1], rtol=1e-5)
    targets = {"aux_output": y_aux, "main_output": y_main}
    named = model.evaluate(by_name, targets, verbose=0, return_dict=True)
    positional = model.evaluate(by_position, [y_main, y_aux], verbose=0, return_dict=True)
    assert named.keys() == positional.keys()
    for key in named:
        np.testing.assert_allclose(named[key], positional[key], rtol=1e-6)
    # The per-output losses are the named losses on the named outputs.
    main_pred, aux_pred = model.predict(by_position, verbose=0)
    np.testing.assert_allclose(named["main_output_loss"], np.mean((main_pred - y_main) ** 2),
                               rtol=1e-5)
    np.testing.assert_allclose(named["aux_output_loss"], np.mean(np.abs(aux_pred - y_aux)),
                               rtol=1e-5)
    history = model.fit(by_name, targets, epochs=1, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_a_model_built_on_a_nested_dict_runs_in_its_compiled_steps():
    """Inputs given as a dict whose keys are not sorted, one of them nested:
    jax.jit rebuilds dicts in sorted-key order, which must not reorder them."""
    keras.utils.set_random_seed(3)
    z, c = keras.Input((3,), name="z"), keras.Input((2,), name="c")
    model = keras.Model({"z": z, "b": {"c": c}},
                        keras.layers.Dense(1)(keras.layers.concatenate([z, c])))
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.RandomState(0)
    x = {"z": rng.rand(8, 3).astype("float32"), "b": {"c": rng.rand(8, 2).astype("float32")}}
    kernel, bias = (keras.ops.convert_to_numpy(w) for w in model.layers[-1].weights)
    expected = np.concatenate([x["z"], x["b"]["c"]], axis=1) @ kernel + bias
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(x)), expected, rtol=1e-5, atol=1e-6)
    history = model.fit(x, rng.rand(8, 1).astype("float32"), batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    with pytest.raises(ValueError, match="'b' should be nested"):
        model.predict({"z": x["z"], "b": x["b"]["c"]}, verbose=0)


def test_a_dict_missing_an_input_names_it():
    model = two_input_model()
    with pytest.raises(ValueError, match="aux_input"):
        model.predict({"main_input": np.zeros((2, 20), "float32")}, verbose=0)


# ------------------------------------------------------ steps_per_execution
def _digits_model(steps_per_execution):
    keras.utils.set_random_seed(4)
    model = keras.Sequential([keras.layers.Input((64,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dropout(0.2), keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], steps_per_execution=steps_per_execution)
    return model


class BatchHooks(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.begins, self.ends = [], []

    def on_train_batch_begin(self, batch, logs=None):
        self.begins.append(batch)

    def on_train_batch_end(self, batch, logs=None):
        self.ends.append(batch)


def test_steps_per_execution_runs_several_steps_per_call_with_the_same_result():
    (x, y), _ = keras.datasets.digits.load_data()
    x = x.reshape(len(x), -1)[:300].astype("float32") / 16.0
    y = y[:300]
    one, three = _digits_model(1), _digits_model(3)
    hooks = BatchHooks()
    h1 = one.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0)
    h3 = three.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0, callbacks=[hooks])
    # 10 batches per epoch: calls of 3, 3, 3 and 1 batches; the batch hooks run
    # once per call, with its first and last step.
    assert hooks.begins == [0, 3, 6, 9] * 2
    assert hooks.ends == [2, 5, 8, 9] * 2
    for key in h1.history:
        np.testing.assert_allclose(h1.history[key], h3.history[key], rtol=1e-5)
    for a, b in zip(one.get_weights(), three.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(one.predict(x, batch_size=32, verbose=0),
                               three.predict(x, batch_size=32, verbose=0), rtol=1e-5, atol=1e-6)
    e1 = one.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)
    e3 = three.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)
    for key in e1:
        np.testing.assert_allclose(e1[key], e3[key], rtol=1e-5)
    np.testing.assert_allclose(one.predict_on_batch(x[:5]), three.predict_on_batch(x[:5]),
                               rtol=1e-5, atol=1e-6)
    assert np.all(np.isfinite(three.train_on_batch(x[:8], y[:8])))


@pytest.mark.parametrize("value", [0, -2, 1.5, "2"])
def test_steps_per_execution_must_be_a_positive_integer(value):
    model = keras.Sequential([keras.layers.Input((3,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="steps_per_execution"):
        model.compile(optimizer="sgd", loss="mse", steps_per_execution=value)


# -------------------------------------------------------- jit_compile="auto"
def test_jit_compile_auto_resolves_per_backend():
    """JAX always jits; TF uses XLA only with a GPU; torch runs eagerly (see compile())."""
    from kfacade.backend import backend

    model = keras.Sequential([keras.layers.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")  # jit_compile="auto" by default
    assert model.jit_compile == "auto"
    model.fit(np.ones((4, 3), "float32"), np.ones((4, 1), "float32"), verbose=0)
    if backend() == "torch":
        assert model.train_function == model.train_step  # eager: the step itself
    elif backend() == "tensorflow":
        has_gpu = bool(keras.distribution.list_devices("gpu"))
        assert model.train_function.tf_function._jit_compile is has_gpu
    else:
        assert model.train_function is not model.train_step


def test_jit_compile_rejects_other_values():
    model = keras.Sequential([keras.layers.Input((3,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="jit_compile"):
        model.compile(optimizer="sgd", loss="mse", jit_compile="xla")


def test_a_variable_operator_with_a_symbolic_tensor_builds_a_graph_node():
    """Keras 2 graph code: ``w - lr * x`` with a variable and an Input."""
    from kfacade import backend as K

    x = keras.Input((3,))
    w = K.variable(np.ones(3, "float32"))
    f = K.function([x], [w - 0.5 * x, x * w + w, 2.0 / w + x])
    outputs = f([np.full((2, 3), 2.0, "float32")])
    np.testing.assert_allclose(outputs[0], np.zeros((2, 3)))
    np.testing.assert_allclose(outputs[1], np.full((2, 3), 3.0))
    np.testing.assert_allclose(outputs[2], np.full((2, 3), 4.0))
