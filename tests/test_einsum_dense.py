"""EinsumDense: weight shapes by Keras 3's rules, values against NumPy's
einsum, training, serialization, and the errors for bad equations."""
import numpy as np
import pytest

import kfacade
from kfacade import layers

try:
    from tests.helpers import assert_close
    from tests.layer_testing import run_layer_test
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import assert_close
    from layer_testing import run_layer_test

F32 = np.float32

#: (equation, output_shape, bias_axes, input shape without batch,
#:  kernel shape, bias shape, output shape without batch): the shapes Keras 3.15
#:  gives, except the ellipsis case, whose axes Keras reports reversed.
CASES = [
    ("ab,bc->ac", 64, "c", (32,), (32, 64), (64,), (64,)),
    ("abc,cd->abd", (None, 64), "d", (5, 12), (12, 64), (64,), (5, 64)),
    ("abc,cde->abde", (None, 4, 16), "de", (10, 8), (8, 4, 16), (4, 16), (10, 4, 16)),
    ("abc,cd->abd", (None, 8), "bd", (3, 6), (6, 8), (3, 8), (3, 8)),
    ("...b,bc->...c", 8, "c", (5, 6, 3), (3, 8), (8,), (5, 6, 8)),
    ("...ab,bc->...ac", (5, 8), None, (7, 5, 3), (3, 8), None, (7, 5, 8)),
    ("abc...,cd->abd...", (2, 4), "d", (2, 3, 5), (3, 4), (4, 1), (2, 4, 5)),
]


@pytest.mark.parametrize("equation, output_shape, bias_axes, input_shape, kernel, bias, output", CASES,
                         ids=[f"{c[0]}|{c[2]}" for c in CASES])
def test_shapes_and_values(equation, output_shape, bias_axes, input_shape, kernel, bias, output):
    layer = layers.EinsumDense(equation, output_shape, bias_axes=bias_axes, activation="relu")
    symbolic = layer(kfacade.Input(input_shape))
    assert tuple(symbolic.shape) == (None,) + output
    assert tuple(layer.kernel.shape) == kernel
    assert (layer.bias is None and bias is None) or tuple(layer.bias.shape) == bias
    rng = np.random.default_rng(0)
    weights = [rng.uniform(-1, 1, w.shape).astype(F32) for w in layer.weights]
    layer.set_weights(weights)
    x = rng.uniform(-1, 1, (2,) + input_shape).astype(F32)
    expected = np.einsum(equation, x.astype(np.float64), weights[0])
    if bias is not None:
        expected = expected + weights[1]
    assert_close(layer(x), np.maximum(expected, 0.0))


def test_layer_contract():
    run_layer_test(layers.EinsumDense, {"equation": "abc,cde->abde", "output_shape": (None, 2, 3),
                                        "bias_axes": "de"},
                   input_shape=(2, 4, 5), expected_output_shape=(2, 4, 2, 3),
                   expected_num_trainable_weights=2, expected_num_non_trainable_weights=0)


def test_glorot_fans_are_the_kernels_input_and_output_axes():
    # Keras 3.12+: fan_in = 64 (the contracted axis), fan_out = 4 * 16 (the heads).
    layer = layers.EinsumDense("abc,cde->abde", (None, 4, 16), kernel_initializer="glorot_uniform")
    layer.build((None, 10, 64))
    limit = np.sqrt(6.0 / (64 + 4 * 16))
    values = np.asarray(layer.kernel.numpy())
    assert np.abs(values).max() <= limit and np.abs(values).max() > 0.9 * limit
    assert layer.get_config()["kernel_initializer"]["config"].get("input_axes") is None


@pytest.mark.parametrize("equation, output_shape, bias_axes, message", [
    ("ab,bc", 4, None, "Invalid einsum equation"),
    ("ab,bc->ad", 4, None, "Dimension 'd' was specified in the output"),
    ("ab,bcx->ac", 4, None, "Weight dimension 'x' did not have a match"),
    ("abc,cd->abd", (7, 4), None, "do not match at shared dimension 'b'"),
    ("ab,bc->ac", 4, "z", "Bias dimension 'z' was requested"),
])
def test_bad_equations_name_the_problem(equation, output_shape, bias_axes, message):
    with pytest.raises(ValueError, match=message):
        layers.EinsumDense(equation, output_shape, bias_axes=bias_axes).build((None, 3, 5)
                                                                              if "abc" in equation else (None, 5))


def test_trains_and_round_trips_through_a_keras_file(tmp_path):
    model = kfacade.Sequential([
        kfacade.Input((6, 4)),
        layers.EinsumDense("abc,cde->abde", (None, 2, 3), bias_axes="de", activation="tanh"),
        layers.Reshape((36,)),
        layers.Dense(1),
    ])
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(32, 6, 4)).astype(F32), rng.normal(size=(32, 1)).astype(F32)
    history = model.fit(x, y, epochs=4, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    path = str(tmp_path / "einsum.keras")
    model.save(path)
    loaded = kfacade.saving.load_model(path)
    assert_close(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
