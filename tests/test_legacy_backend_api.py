"""Keras 2's ``K.*`` functions that programs of its examples use: K.gradients
through K.function, the learning phase as an input, control flow, convolution,
random draws and CTC, each against a NumPy reference, eagerly and on
KerasTensors."""
import itertools

import numpy as np
import pytest

import kfacade as keras
from kfacade import backend as K
from kfacade import ops
from helpers import assert_close
from numpy_reference import conv as np_conv
from numpy_reference import pool as np_pool


def _np(x):
    return K.get_value(x)


# ------------------------------------------------------------ K.gradients


def test_gradients_of_input_and_kernel_match_numpy(rng):
    inputs = keras.Input((4,))
    dense = keras.layers.Dense(3, activation="tanh")
    loss = K.sum(K.square(dense(inputs)))
    grad_input, grad_kernel, grad_bias = K.gradients(loss, [inputs, dense.kernel, dense.bias])
    assert grad_input.shape == (None, 4) and grad_kernel.shape == (4, 3)
    run = K.function([inputs], [loss, grad_input, grad_kernel, grad_bias])
    x = rng.standard_normal((5, 4)).astype("float32")
    value, g_input, g_kernel, g_bias = run([x])
    kernel, bias = dense.kernel.numpy(), dense.bias.numpy()
    hidden = np.tanh(x @ kernel + bias)
    d_pre = 2 * hidden * (1 - hidden**2)
    assert_close(value, (hidden**2).sum(), rtol=1e-5)
    assert_close(g_input, d_pre @ kernel.T)
    assert_close(g_kernel, x.T @ d_pre)
    assert_close(g_bias, d_pre.sum(0))


def test_gradients_used_in_further_ops_as_in_filter_visualisation(rng):
    # conv_filter_visualization.py: grads normalised, then [loss, grads] fetched.
    inputs = keras.Input((6, 6, 2))
    features = keras.layers.Conv2D(3, 3, name="conv")(inputs)
    loss = K.mean(features[:, :, :, 1])
    grads = K.gradients(loss, inputs)[0]
    grads = grads / (K.sqrt(K.mean(K.square(grads))) + 1e-5)
    iterate = K.function([inputs], [loss, grads])
    x = rng.standard_normal((1, 6, 6, 2)).astype("float32")
    value, g = iterate([x])
    kernel = features._keras_history[0].kernel.numpy()[..., 1]
    # d mean(conv)/dx: each output cell spreads kernel/16 over its window.
    expected = np.zeros((6, 6, 2))
    for i, j in itertools.product(range(4), range(4)):
        expected[i:i + 3, j:j + 3] += kernel / 16
    expected /= np.sqrt(np.mean(expected**2)) + 1e-5
    assert_close(g[0], expected, atol=1e-4)
    assert np.isfinite(value)


def test_gradients_with_respect_to_an_intermediate_output(rng):
    inputs = keras.Input((3,))
    hidden = keras.layers.Dense(4)(inputs)
    out = keras.layers.Dense(2)(keras.layers.Activation("relu")(hidden))
    grad_hidden = K.gradients(K.sum(out), hidden)[0]
    x = rng.standard_normal((6, 3)).astype("float32")
    h, g = K.function([inputs], [hidden, grad_hidden])([x])
    kernel = out._keras_history[0].kernel.numpy()
    assert_close(g, (h > 0) * kernel.sum(1))


def test_gradients_of_a_placeholder_graph_and_unconnected_sources(rng):
    # neural_style_transfer.py: a K.placeholder image, Variables beside it.
    image = K.placeholder((1, 3))
    weights = K.variable(rng.standard_normal((3,)))
    unused = K.variable(np.ones((2,)))
    loss = K.sum(K.square(image - 1.0) * weights)
    g_image, g_weights, g_unused = K.gradients(loss, [image, weights, unused])
    x = rng.standard_normal((1, 3)).astype("float32")
    gi, gw, gu = K.function([image], [g_image, g_weights, g_unused])([x])
    assert_close(gi, 2 * (x - 1) * weights.numpy())
    assert_close(gw, ((x - 1) ** 2)[0])
    assert_close(gu, np.zeros(2))  # Keras 2 gave None for an unconnected variable


def test_gradients_refuses_eager_losses_and_second_order():
    with pytest.raises(ValueError, match="symbolic loss"):
        K.gradients(ops.convert_to_tensor(np.ones(3, "float32")), [K.variable(np.ones(3))])
    inputs = keras.Input((2,))
    grad = K.gradients(K.sum(K.square(inputs)), inputs)[0]
    with pytest.raises(NotImplementedError, match="second-order"):
        K.gradients(K.sum(grad), inputs)


def test_stop_gradient_blocks_the_gradient(rng):
    inputs = keras.Input((3,))
    loss = K.sum(K.square(inputs)) + K.sum(K.stop_gradient(inputs) * 5.0)
    grad = K.gradients(loss, inputs)[0]
    x = rng.standard_normal((2, 3)).astype("float32")
    assert_close(K.function([inputs], [grad])([x])[0], 2 * x)
    pair = K.stop_gradient([x, x])
    assert isinstance(pair, list) and len(pair) == 2


# ------------------------------------------------- K.function and phases


def test_learning_phase_as_a_function_input(rng):
    inputs = keras.Input((50,))
    dropped = keras.layers.Dropout(0.5)(inputs)
    run = K.function([inputs, K.learning_phase()], [dropped])
    x = rng.uniform(1, 2, (4, 50)).astype("float32")
    assert_close(run([x, 0])[0], x)
    trained = run([x, 1])[0]
    assert (trained == 0).any() and np.allclose(trained[trained != 0], 2 * x[trained != 0])
    # The phase may also come after the inputs without being listed (Keras 2 took both).
    assert (K.function([inputs], [dropped])([x, 1])[0] == 0).any()
    with pytest.raises(ValueError, match="takes 2 input value"):
        run([x])


def test_learning_phase_follows_the_training_flag():
    seen = []

    class Probe(keras.layers.Layer):
        def call(self, x, training=None):
            seen.append(int(K.learning_phase()))
            return K.in_train_phase(x * 2.0, x, training=training)

    layer = Probe()
    x = np.ones((1, 2), "float32")
    assert_close(layer(x, training=True), 2 * x)
    assert_close(layer(x, training=False), x)
    assert seen == [1, 0]
    assert K.learning_phase() == 0 and repr(K.learning_phase()) == "<learning phase: 0>"


def test_function_updates_assign_after_each_call(rng):
    inputs = keras.Input((3,))
    total = K.variable(np.zeros(()))
    counter = K.variable(np.zeros(()))
    run = K.function([inputs], [K.sum(inputs)],
                     updates=[(total, K.sum(inputs)), (counter, np.float32(7))])
    x = rng.standard_normal((2, 3)).astype("float32")
    result = run([x])
    assert_close(result[0], x.sum(), rtol=1e-5)
    assert_close(total.numpy(), x.sum(), rtol=1e-5)
    assert counter.numpy() == 7
    with pytest.raises(ValueError, match="Variable first"):
        K.function([inputs], [inputs], updates=[(1, 2)])


def test_a_training_loop_of_gradients_and_function_updates(rng):
    # Keras 2's hand-written SGD: K.gradients, then K.function(updates=...).
    inputs, targets = keras.Input((3,)), K.placeholder((None, 1))
    dense = keras.layers.Dense(1)
    loss = K.mean(K.square(dense(inputs) - targets))
    weights = [dense.kernel, dense.bias]
    grads = K.gradients(loss, weights)
    updates = [K.update_sub(w, 0.1 * g) for w, g in zip(weights, grads)]
    train = K.function([inputs, targets], [loss], updates=updates)
    x = rng.standard_normal((32, 3)).astype("float32")
    y = x @ np.array([[1.0], [-1.0], [2.0]], "float32") + 0.5
    kernel, bias = dense.kernel.numpy().astype(np.float64), dense.bias.numpy().astype(np.float64)
    for _ in range(3):
        value = train([x, y])[0]
        error = x @ kernel + bias - y
        assert_close(value, np.mean(error**2), rtol=1e-4)
        kernel -= 0.1 * 2 * x.T @ error / len(x)
        bias -= 0.1 * 2 * error.mean(0)
    assert_close(dense.kernel.numpy(), kernel, atol=1e-4)
    assert_close(dense.bias.numpy(), bias, atol=1e-4)


# ------------------------------------------------------------- switches


def test_switch_and_train_phase(rng):
    x = rng.standard_normal((4, 3)).astype("float32")
    condition = x[:, 0] > 0
    assert_close(K.switch(ops.convert_to_tensor(condition), x, -x),
                 np.where(condition[:, None], x, -x))
    assert_close(K.switch(ops.convert_to_tensor(True), x, -x), x)  # a scalar tensor
    calls = []
    assert K.switch(0, lambda: calls.append("then"), lambda: "else") == "else" and not calls
    assert K.in_train_phase("train", "test", training=1) == "train"
    assert K.in_train_phase(lambda: "train", "test", training=False) == "test"
    assert K.in_test_phase("test", "train", training=0) == "test"
    assert K.in_train_phase("train", "test") == "test"  # no enclosing training call
    assert_close(K.in_train_phase(x, -x, training=ops.convert_to_tensor(True)), x)
    with pytest.raises(ValueError, match="rank of `condition`"):
        K.switch(ops.convert_to_tensor(np.ones((2, 2, 2), bool)), np.ones((2, 2)), np.ones((2, 2)))
    # Symbolic: one graph node, evaluated through K.function.
    inputs = keras.Input((3,))
    leaky = K.switch(K.greater(inputs, 0.0), inputs, 0.1 * inputs)
    assert_close(K.function([inputs], [leaky])([x])[0], np.where(x > 0, x, 0.1 * x))


# ------------------------------------------------------------------ K.rnn


def _numpy_rnn(inputs, state, mask=None, backwards=False, constant=0.0):
    steps = range(inputs.shape[1])
    outputs, previous = [], np.zeros_like(state)
    for t in (reversed(steps) if backwards else steps):
        new_state = np.tanh(inputs[:, t] + state + constant)
        output = 2 * new_state
        if mask is not None:
            keep = mask[:, t][:, None]
            new_state = np.where(keep, new_state, state)
            output = np.where(keep, output, previous)
        state, previous = new_state, output
        outputs.append(output)
    return outputs[-1], np.stack(outputs, 1), state


def _step(x, states):
    state = K.tanh(x + states[0] + (states[1] if len(states) > 1 else 0.0))
    return 2.0 * state, [state]


@pytest.mark.parametrize("backwards", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_rnn_matches_a_numpy_loop(rng, backwards, masked):
    inputs = rng.standard_normal((3, 5, 2)).astype("float32")
    state = rng.standard_normal((3, 2)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]], bool) if masked else None
    last, outputs, states = K.rnn(_step, inputs, [state], go_backwards=backwards, mask=mask)
    expected = _numpy_rnn(inputs, state, mask, backwards)
    assert_close(last, expected[0])
    assert_close(outputs, expected[1])
    assert_close(states[0], expected[2])


def test_rnn_constants_unroll_and_symbolic(rng):
    inputs = rng.standard_normal((2, 4, 3)).astype("float32")
    state = np.zeros((2, 3), "float32")
    constant = np.full((2, 3), 0.5, "float32")
    last, outputs, states = K.rnn(_step, inputs, [state], constants=[constant], unroll=True,
                                  input_length=4)
    expected = _numpy_rnn(inputs, state, constant=0.5)
    assert_close(outputs, expected[1])
    sequence = keras.Input((4, 3))
    last, outputs, states = K.rnn(_step, sequence, [K.zeros_like(sequence[:, 0])])
    assert outputs.shape == (None, 4, 3) and last.shape == (None, 3)
    got = K.function([sequence], [last, outputs, states[0]])([inputs])
    expected = _numpy_rnn(inputs, state)
    for actual, wanted in zip(got, expected):
        assert_close(actual, wanted)


# --------------------------------------------------- loops and functions


def test_map_fn_and_folds(rng):
    x = rng.standard_normal((4, 3)).astype("float32")
    assert_close(K.map_fn(lambda row: K.sum(K.square(row)), x), (x**2).sum(1), rtol=1e-5)
    assert_close(K.foldl(lambda acc, row: acc * 0.5 + row, x), _fold(x, 0.5, False))
    assert_close(K.foldr(lambda acc, row: acc * 0.5 + row, x), _fold(x, 0.5, True))
    assert_close(K.foldl(lambda acc, row: acc + row, x, initializer=np.ones(3, "float32")),
                 1 + x.sum(0), rtol=1e-5)
    inputs = keras.Input((3,), batch_size=4)
    mapped = K.map_fn(lambda row: K.max(row), inputs)
    assert_close(K.function([inputs], [mapped])([x])[0], x.max(1))


def _fold(x, decay, reverse):
    rows = list(x[::-1]) if reverse else list(x)
    acc = rows[0]
    for row in rows[1:]:
        acc = acc * decay + row
    return acc


def test_elementwise_functions_match_numpy(rng):
    x = rng.standard_normal((3, 4)).astype("float32")
    y = rng.standard_normal((3, 4)).astype("float32")
    assert_close(K.abs(x), np.abs(x))
    assert_close(K.maximum(x, y), np.maximum(x, y))
    assert_close(K.minimum(x, y), np.minimum(x, y))
    assert_close(K.clip(x, -0.5, 0.5), np.clip(x, -0.5, 0.5))
    assert_close(K.clip(x, 0.0, None), np.maximum(x, 0))
    assert_close(K.clip(x, 0.5, 0.2), np.full_like(x, 0.5))  # max below min: raised to it
    assert_close(K.pow(np.abs(x), 3), np.abs(x) ** 3, rtol=1e-5)
    assert np.array_equal(_np(K.argmax(x)), x.argmax(-1))  # Keras 2: the last axis
    assert np.array_equal(_np(K.argmin(x, axis=0)), x.argmin(0))
    assert np.array_equal(_np(K.equal(x, x * (x > 0))), x == x * (x > 0))
    assert _np(K.cast(x, "int32")).dtype == np.int32
    assert_close(K.reverse(x, 1), x[:, ::-1])
    assert np.array_equal(_np(K.arange(4)), np.arange(4))
    assert_close(K.eye(3).numpy(), np.eye(3))
    inputs = keras.Input((4,))
    symbolic = [K.abs(inputs), K.argmax(inputs), K.clip(inputs, -0.5, None),
                K.cast(K.equal(inputs, 0.0), "float32")]
    got = K.function([inputs], symbolic)([x])
    assert_close(got[0], np.abs(x))
    assert np.array_equal(got[1], x.argmax(-1))
    assert_close(got[2], np.maximum(x, -0.5))
    assert_close(got[3], (x == 0).astype("float32"))


def test_smaller_keras2_functions(rng):
    x = rng.standard_normal((2, 3, 4)).astype("float32")
    assert_close(K.slice(x, (0, 1, 1), (2, 2, 2)), x[:, 1:3, 1:3])
    assert int(_np(K.size(x))) == 24
    assert_close(K.cumprod(x, axis=1), np.cumprod(x, axis=1), rtol=1e-5)
    assert K.cast_to_floatx([1, 2]).dtype == np.float32
    assert not K.is_sparse(x) and K.to_dense(x) is x
    assert K.normalize_data_format(None) == "channels_last"
    with pytest.raises(ValueError, match="data_format"):
        K.normalize_data_format("nchw")
    assert K.image_dim_ordering() == "tf"
    K.set_image_dim_ordering("th")
    try:
        assert K.image_data_format() == "channels_first"
    finally:
        K.set_image_dim_ordering("tf")
    K.reset_uids()
    assert [K.get_uid("dense"), K.get_uid("dense"), K.get_uid("conv")] == [1, 2, 1]
    assert K.is_placeholder(K.placeholder((None, 2))) and K.is_placeholder(keras.Input((2,)))
    assert not K.is_placeholder(keras.layers.Dense(1)(keras.Input((2,)))) and not K.is_placeholder(x)
    predictions = np.array([[0.1, 0.5, 0.4], [0.3, 0.3, 0.4]], "float32")
    assert _np(K.in_top_k(predictions, np.array([2, 0]), 1)).tolist() == [False, False]
    assert _np(K.in_top_k(predictions, np.array([2, 1]), 2)).tolist() == [True, True]  # a tie
    gamma, beta = rng.uniform(0.5, 2, 4).astype("float32"), rng.standard_normal(4).astype("float32")
    normalized, mean, variance = K.normalize_batch_in_training(x, gamma, beta, [0, 1])
    assert_close(mean, x.mean((0, 1)), atol=1e-5)
    assert_close(variance, x.var((0, 1)), atol=1e-5)
    assert_close(normalized, (x - x.mean((0, 1))) / np.sqrt(x.var((0, 1)) + 1e-3) * gamma + beta,
                 atol=1e-4)
    volume = rng.standard_normal((1, 2, 2, 2, 3)).astype("float32")
    assert_close(K.spatial_3d_padding(volume), np.pad(volume, [(0, 0)] + [(1, 1)] * 3 + [(0, 0)]))
    assert_close(K.resize_volumes(volume, 2, 1, 3, "channels_last"),
                 volume.repeat(2, 1).repeat(3, 3))
    assert_close(K.resize_images(x[..., None], 2, 2, "channels_last"),
                 x[..., None].repeat(2, 1).repeat(2, 2))
    assert_close(K.repeat(x[:, 0], 3), np.repeat(x[:, None, 0], 3, axis=1))
    assert_close(K.temporal_padding(x, (1, 2)), np.pad(x, [(0, 0), (1, 2), (0, 0)]))


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_depthwise_and_separable_conv2d(rng, padding):
    from numpy_reference import depthwise_conv as np_depthwise

    x = rng.standard_normal((2, 6, 5, 3)).astype("float32")
    depthwise = rng.standard_normal((3, 3, 3, 2)).astype("float32")
    pointwise = rng.standard_normal((1, 1, 6, 4)).astype("float32")
    expected = np_depthwise(x, depthwise, padding=padding)
    assert_close(K.depthwise_conv2d(x, depthwise, padding=padding, data_format="channels_last"),
                 expected, atol=1e-4)
    assert_close(K.separable_conv2d(x, depthwise, pointwise, padding=padding,
                                    data_format="channels_last"),
                 np_conv(expected, pointwise), atol=1e-4)


def test_shape_of_a_kerastensor_with_unknown_dims_stays_symbolic(rng):
    # deep_dream.py: K.prod(K.cast(K.shape(x), "float32")) on a (None, None, 3) input.
    inputs = keras.Input((None, 3))
    size = K.prod(K.cast(K.shape(inputs), "float32"))
    x = rng.standard_normal((2, 5, 3)).astype("float32")
    assert K.function([inputs], [size])([x])[0] == 30
    assert K.shape(keras.Input((2, 3), batch_size=4)) == (4, 2, 3)
    assert K.shape(x) == (2, 5, 3)


def test_name_scope_is_a_context_manager():
    with K.name_scope("block") as name:
        variable = K.variable(np.zeros(2))
    assert name == "block" and variable.shape == (2,)


# ----------------------------------------------------- nn building blocks


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_bias_add(rng, data_format):
    x = rng.standard_normal((2, 3, 4, 5)).astype("float32")
    bias = rng.standard_normal((5 if data_format == "channels_last" else 3,)).astype("float32")
    expected = x + (bias if data_format == "channels_last" else bias[:, None, None])
    assert_close(K.bias_add(x, bias, data_format=data_format), expected)
    # A full bias: (spatial..., channels); Keras 2 reshapes it (does not
    # transpose it) to (1, channels, spatial...) for channels_first.
    channels_first = data_format == "channels_first"
    full = rng.standard_normal((4, 5, 3) if channels_first else (3, 4, 5)).astype("float32")
    assert_close(K.bias_add(x, full, data_format=data_format),
                 x + (full.reshape(1, 3, 4, 5) if channels_first else full))
    with pytest.raises(ValueError, match="Unexpected bias dimensions"):
        K.bias_add(x, np.ones((2, 2), "float32"))
    inputs = keras.Input((3, 4, 5))
    out = K.bias_add(inputs, bias, data_format=data_format)
    assert_close(K.function([inputs], [out])([x])[0], expected)


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv2d_and_pool2d_match_numpy(rng, padding):
    x = rng.standard_normal((2, 7, 6, 3)).astype("float32")
    kernel = rng.standard_normal((3, 2, 3, 4)).astype("float32")
    assert_close(K.conv2d(x, kernel, strides=(2, 1), padding=padding, data_format="channels_last"),
                 np_conv(x, kernel, strides=(2, 1), padding=padding), atol=1e-4)
    assert_close(K.conv2d(x, kernel, padding=padding, dilation_rate=(2, 1),
                          data_format="channels_last"),
                 np_conv(x, kernel, padding=padding, dilation_rate=(2, 1)), atol=1e-4)
    first = np.moveaxis(x, -1, 1)
    assert_close(K.conv2d(first, kernel, padding=padding, data_format="channels_first"),
                 np.moveaxis(np_conv(x, kernel, padding=padding), -1, 1), atol=1e-4)
    # Keras 2's pool2d strides default to 1, not to the pool size.
    assert_close(K.pool2d(x, (2, 2), padding=padding, data_format="channels_last"),
                 np_pool(x, (2, 2), strides=1, padding=padding, mode="max"))
    assert_close(K.pool2d(x, (2, 3), strides=(2, 2), padding=padding, pool_mode="avg",
                          data_format="channels_last"),
                 np_pool(x, (2, 3), strides=2, padding=padding, mode="avg"))
    with pytest.raises(ValueError, match="pool_mode"):
        K.pool2d(x, (2, 2), pool_mode="median")
    inputs = keras.Input((7, 6, 3))
    out = K.pool2d(K.conv2d(inputs, kernel, padding=padding, data_format="channels_last"),
                   (2, 2), data_format="channels_last")
    expected = np_pool(np_conv(x, kernel, padding=padding), (2, 2), strides=1)
    assert_close(K.function([inputs], [out])([x])[0], expected, atol=1e-4)


def test_conv1d_causal(rng):
    x = rng.standard_normal((2, 6, 3)).astype("float32")
    kernel = rng.standard_normal((3, 3, 2)).astype("float32")
    assert_close(K.conv1d(x, kernel, padding="causal", dilation_rate=2,
                          data_format="channels_last"),
                 np_conv(x, kernel, padding="causal", dilation_rate=2), atol=1e-4)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_local_conv1d_and_2d_are_the_locally_connected_layers_without_bias(rng, data_format):
    first = data_format == "channels_first"
    image = rng.standard_normal((2, 3, 6, 5) if first else (2, 6, 5, 3)).astype("float32")
    layer = keras.layers.LocallyConnected2D(4, (3, 2), strides=(1, 2), data_format=data_format,
                                            use_bias=False)
    expected = layer(image)
    kernel = layer.kernel.value
    assert_close(K.local_conv2d(image, kernel, (3, 2), (1, 2), (4, 2), data_format), expected)
    symbolic = K.local_conv2d(keras.Input(image.shape[1:]), kernel, (3, 2), (1, 2), (4, 2),
                              data_format)
    assert tuple(symbolic.shape) == (None,) + tuple(expected.shape[1:])
    steps = rng.standard_normal((2, 3, 7) if first else (2, 7, 3)).astype("float32")
    layer = keras.layers.LocallyConnected1D(2, 3, strides=2, data_format=data_format,
                                            use_bias=False)
    expected = layer(steps)
    assert_close(K.local_conv1d(steps, layer.kernel.value, 3, 2, data_format), expected)


def test_random_binomial_and_truncated_normal():
    draws = _np(K.random_binomial((4000,), p=0.3, seed=1))
    assert set(np.unique(draws)) <= {0.0, 1.0} and abs(draws.mean() - 0.3) < 0.03
    assert np.array_equal(draws, _np(K.random_binomial((4000,), p=0.3, seed=1)))
    assert _np(K.random_binomial((3,), p=1.0, dtype="int32")).tolist() == [1, 1, 1]
    values = _np(K.truncated_normal((20000,), mean=1.0, stddev=2.0, seed=3))
    assert values.min() >= -3.0 and values.max() <= 5.0
    # A normal truncated at two standard deviations has a std of 0.8796.
    assert abs(values.std() / 2.0 - 0.8796) < 0.02 and abs(values.mean() - 1.0) < 0.05
    assert np.array_equal(values, _np(K.truncated_normal((20000,), 1.0, 2.0, seed=3)))


# ------------------------------------------------------------------- CTC


def _ctc_brute_force(probs, label):
    """-log of the summed probability of every path that collapses to `label`."""
    time_steps, classes = probs.shape
    blank = classes - 1
    log_prob = np.log(probs.astype(np.float64) + 1e-7)
    log_prob -= np.log(np.exp(log_prob).sum(-1, keepdims=True))  # as Keras 2 feeds TF
    total = 0.0
    for path in itertools.product(range(classes), repeat=time_steps):
        collapsed = [c for i, c in enumerate(path) if c != blank and (i == 0 or c != path[i - 1])]
        if collapsed == list(label):
            total += np.exp(sum(log_prob[t, c] for t, c in enumerate(path)))
    return -np.log(total)


def test_ctc_batch_cost_matches_brute_force(rng):
    probs = rng.dirichlet(np.ones(3), size=(4, 5)).astype("float32")  # 2 symbols + blank
    labels = np.array([[0, 1, -1], [1, 1, 0], [0, -1, -1], [1, 0, 0]])
    label_length = np.array([[2], [2], [1], [3]])
    input_length = np.array([[5], [4], [5], [5]])
    expected = [_ctc_brute_force(probs[b, :input_length[b, 0]], labels[b, :label_length[b, 0]])
                for b in range(4)]
    loss = K.ctc_batch_cost(labels, probs, input_length, label_length)
    assert tuple(ops.shape(loss)) == (4, 1)
    assert_close(_np(loss)[:, 0], np.array(expected), rtol=1e-4)


def test_ctc_batch_cost_symbolic_and_differentiable(rng):
    # image_ocr.py: the loss computed on the model's softmax output, inside the graph.
    probs = rng.dirichlet(np.ones(3), size=(2, 4)).astype("float32")
    labels = np.array([[0, 1], [1, 1]])
    lengths = (np.array([[4], [4]]), np.array([[2], [2]]))
    y_pred = keras.Input((4, 3))
    y_true = keras.Input((2,))
    input_length, label_length = keras.Input((1,), dtype="int32"), keras.Input((1,), dtype="int32")
    loss = K.ctc_batch_cost(y_true, y_pred, input_length, label_length)
    grad = K.gradients(K.sum(loss), y_pred)[0]
    value, g = K.function([y_true, y_pred, input_length, label_length], [loss, grad])(
        [labels, probs] + list(lengths))
    assert_close(value[:, 0], [_ctc_brute_force(probs[b], labels[b]) for b in range(2)], rtol=1e-4)
    # Central differences of the NumPy reference at a few entries.
    for b, t, c in [(0, 0, 0), (0, 2, 1), (1, 3, 2)]:
        step = np.zeros_like(probs, dtype=np.float64)
        step[b, t, c] = 1e-4
        numeric = (_ctc_brute_force(probs[b] + step[b], labels[b])
                   - _ctc_brute_force(probs[b] - step[b], labels[b])) / 2e-4
        assert abs(g[b, t, c] - numeric) < 1e-2 * max(1.0, abs(numeric))


def test_ctc_loss_trains_a_model_as_image_ocr_does(rng):
    # image_ocr.py: CTC in a Lambda layer; the compiled loss passes it through.
    steps, classes, label_size, samples = 6, 4, 2, 16
    sequence = keras.Input((steps, 5))
    y_pred = keras.layers.Dense(classes, activation="softmax")(
        keras.layers.GRU(8, return_sequences=True)(sequence))
    labels = keras.Input((label_size,))
    input_length, label_length = keras.Input((1,), dtype="int64"), keras.Input((1,), dtype="int64")
    loss_out = keras.layers.Lambda(lambda args: K.ctc_batch_cost(*args), output_shape=(1,),
                                   name="ctc")([labels, y_pred, input_length, label_length])
    model = keras.Model([sequence, labels, input_length, label_length], loss_out)
    model.compile(loss={"ctc": lambda y_true, y_pred: y_pred}, optimizer=keras.optimizers.Adam(0.01))
    data = [rng.standard_normal((samples, steps, 5)).astype("float32"),
            rng.integers(0, classes - 1, (samples, label_size)).astype("float32"),
            np.full((samples, 1), steps), np.full((samples, 1), label_size)]
    history = model.fit(data, np.zeros(samples), epochs=3, batch_size=8, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
    decoded = K.ctc_decode(K.function([sequence], [y_pred])([data[0][:2]])[0], np.full(2, steps))
    assert _np(decoded[0][0]).shape[0] == 2


def test_ctc_decode_greedy(rng):
    probs = rng.dirichlet(np.ones(4) * 0.3, size=(3, 7)).astype("float32")
    input_length = np.array([7, 5, 7])
    decoded, log_prob = K.ctc_decode(probs, input_length)
    expected = []
    for b in range(3):
        best = probs[b, :input_length[b]].argmax(-1)
        expected.append([c for i, c in enumerate(best) if c != 3 and (i == 0 or c != best[i - 1])])
    width = max(len(e) for e in expected)
    dense = np.array([e + [-1] * (width - len(e)) for e in expected])
    assert np.array_equal(_np(decoded[0]), dense)
    best_log = np.log(probs + 1e-7).max(-1) * (np.arange(7) < input_length[:, None])
    assert_close(log_prob, -best_log.sum(1, keepdims=True), rtol=1e-5)
    with pytest.raises(NotImplementedError, match="beam-search"):
        K.ctc_decode(probs, input_length, greedy=False)
