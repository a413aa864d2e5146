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


def test_a_dict_missing_an_input_names_it():
    model = two_input_model()
    with pytest.raises(ValueError, match="aux_input"):
        model.predict({"main_input": np.zeros((2, 20), "float32")}, verbose=0)
