"""Recurrent layers against NumPy: SimpleRNN, LSTM (gates i, f, c, o), GRU
(both ``reset_after`` layouts), Keras 2's CuDNNLSTM and CuDNNGRU (cuDNN's
bias layouts), stacked cells, masks, initial and stateful
states, Bidirectional, TimeDistributed; Keras's weight layout, dropout masks
drawn once per sequence, gradients, and a small fit."""
import json

import numpy as np
import pytest

import kfacade
from kfacade import ops
from kfacade.backend import adapter as B
from kfacade.layers.core.dense import Dense
from kfacade.layers.rnn import (
    GRU, LSTM, RNN, Bidirectional, ConvLSTM1D, ConvLSTM2D, ConvLSTM3D, CuDNNGRU, CuDNNLSTM,
    GRUCell, LSTMCell, SimpleRNN, SimpleRNNCell, StackedRNNCells, TimeDistributed,
)

try:
    from tests import numpy_reference as ref
    from tests.helpers import assert_close
    from tests.layer_testing import run_layer_test
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    import numpy_reference as ref
    from helpers import assert_close
    from layer_testing import run_layer_test

BATCH, TIMESTEPS, FEATURES, UNITS = 3, 5, 4, 3


def to_numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# ------------------------------------------------------- NumPy reference cells
# Each takes (x_t, states, weights) and returns (output, new_states), in float64.


def np_simple_rnn_step(x, states, weights):
    kernel, recurrent_kernel, bias = weights
    h = np.tanh(x @ kernel + bias + states[0] @ recurrent_kernel)
    return h, [h]


def np_lstm_step(x, states, weights):
    kernel, recurrent_kernel, bias = weights
    h, c = states
    z = x @ kernel + h @ recurrent_kernel + bias
    z_i, z_f, z_c, z_o = np.split(z, 4, axis=-1)
    i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o)
    c = f * c + i * np.tanh(z_c)
    h = o * np.tanh(c)
    return h, [h, c]


def np_gru_step(x, states, weights, reset_after):
    kernel, recurrent_kernel, bias = weights
    h = states[0]
    units = h.shape[-1]
    input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, np.zeros(3 * units))
    x_z, x_r, x_h = np.split(x @ kernel + input_bias, 3, axis=-1)
    r_z, r_r, r_h = np.split(h @ recurrent_kernel + recurrent_bias, 3, axis=-1)
    z, r = sigmoid(x_z + r_z), sigmoid(x_r + r_r)
    if reset_after:
        candidate = np.tanh(x_h + r * r_h)
    else:
        candidate = np.tanh(x_h + (r * h) @ recurrent_kernel[:, 2 * units:])
    h = z * h + (1 - z) * candidate
    return h, [h]


def np_rnn(step, x, states, mask=None, go_backwards=False, zero_output_for_mask=False):
    """Keras's loop: returns (last_output, outputs in processing order, states)."""
    x = np.asarray(x, np.float64)
    states = [np.asarray(s, np.float64) for s in states]
    order = range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])
    last = np.zeros_like(step(x[:, 0], states)[0])
    outputs = []
    for t in order:
        output, new_states = step(x[:, t], states)
        if mask is not None:
            keep = mask[:, t][:, None]
            new_states = [np.where(keep, n, s) for n, s in zip(new_states, states)]
            emitted = np.where(keep, output, 0.0 if zero_output_for_mask else last)
            last = np.where(keep, output, last)
        else:
            emitted = last = output
        states = new_states
        outputs.append(emitted)
    return last, np.stack(outputs, axis=1), states


# -------------------------------------------------------------- test cases


def random_weights(rng, kind, features=FEATURES, units=UNITS):
    gates = {"simple_rnn": 1, "lstm": 4, "gru": 3, "gru_before": 3, "cudnn_lstm": 4,
             "cudnn_gru": 3}[kind]
    bias_shape = {"gru": (2, 3 * units), "cudnn_lstm": (8 * units,),
                  "cudnn_gru": (6 * units,)}.get(kind, (gates * units,))
    return [
        rng.standard_normal((features, gates * units)).astype("float32") * 0.5,
        rng.standard_normal((units, gates * units)).astype("float32") * 0.5,
        rng.standard_normal(bias_shape).astype("float32") * 0.5,
    ]


def make_layer(kind, **kwargs):
    if kind == "simple_rnn":
        return SimpleRNN(UNITS, **kwargs)
    if kind == "lstm":
        return LSTM(UNITS, **kwargs)
    if kind == "cudnn_lstm":
        return CuDNNLSTM(UNITS, **kwargs)
    if kind == "cudnn_gru":
        return CuDNNGRU(UNITS, **kwargs)
    return GRU(UNITS, reset_after=(kind == "gru"), **kwargs)


def numpy_step(kind, weights):
    w = [np.asarray(v, np.float64) for v in weights]
    if kind == "simple_rnn":
        return lambda x, s: np_simple_rnn_step(x, s, w)
    if kind == "lstm":
        return lambda x, s: np_lstm_step(x, s, w)
    if kind == "cudnn_lstm":  # an input and a recurrent bias, added
        kernel, recurrent_kernel, bias = w
        return lambda x, s: np_lstm_step(x, s, [kernel, recurrent_kernel, sum(np.split(bias, 2))])
    if kind == "cudnn_gru":  # GRU(reset_after=True)'s two biases, flat
        kernel, recurrent_kernel, bias = w
        return lambda x, s: np_gru_step(x, s, [kernel, recurrent_kernel, bias.reshape(2, -1)],
                                        reset_after=True)
    return lambda x, s: np_gru_step(x, s, w, reset_after=(kind == "gru"))


def zero_states(kind, batch=BATCH, units=UNITS):
    return [np.zeros((batch, units))] * (2 if kind.endswith("lstm") else 1)


def padded_mask():
    mask = np.ones((BATCH, TIMESTEPS), bool)
    mask[0, 3:] = False  # right padding
    mask[1, :2] = False  # left padding
    mask[2, 2] = False  # a hole
    return mask


KINDS = ["simple_rnn", "lstm", "gru", "gru_before", "cudnn_lstm", "cudnn_gru"]


# Every pair of options meets in some case (each eager call costs a JAX compile).
OPTION_CASES = [(False, False, False), (True, False, True), (False, True, True),
                (True, True, False), (True, True, True)]


@pytest.mark.parametrize("return_sequences,go_backwards,masked", OPTION_CASES,
                         ids=["last", "seq-mask", "last-bwd-mask", "seq-bwd", "seq-bwd-mask"])
@pytest.mark.parametrize("kind", KINDS)
def test_layer_matches_numpy(kind, return_sequences, go_backwards, masked, rng):
    x = rng.standard_normal((BATCH, TIMESTEPS, FEATURES)).astype("float32")
    weights = random_weights(rng, kind)
    mask = padded_mask() if masked else None
    layer = make_layer(kind, return_sequences=return_sequences, return_state=True,
                       go_backwards=go_backwards)
    layer.build((None, TIMESTEPS, FEATURES))
    layer.set_weights(weights)
    outputs = layer(x, mask=None if mask is None else ops.convert_to_tensor(mask))
    last, sequence, states = np_rnn(numpy_step(kind, weights), x, zero_states(kind), mask,
                                    go_backwards)
    assert len(outputs) == 1 + len(states)
    assert_close(outputs[0], sequence if return_sequences else last)
    for actual, expected in zip(outputs[1:], states):
        assert_close(actual, expected)


@pytest.mark.parametrize("kind", KINDS)
def test_cell_step_matches_numpy(kind, rng):
    cell = {"simple_rnn": SimpleRNNCell(UNITS), "lstm": LSTMCell(UNITS),
            "gru": GRUCell(UNITS), "gru_before": GRUCell(UNITS, reset_after=False),
            "cudnn_lstm": CuDNNLSTM(UNITS).cell, "cudnn_gru": CuDNNGRU(UNITS).cell}[kind]
    weights = random_weights(rng, kind)
    cell.build((BATCH, FEATURES))
    cell.set_weights(weights)
    x = rng.standard_normal((BATCH, FEATURES)).astype("float32")
    states = [rng.standard_normal((BATCH, UNITS)).astype("float32") for _ in zero_states(kind)]
    output, new_states = cell(x, [ops.convert_to_tensor(s) for s in states])
    expected, expected_states = numpy_step(kind, weights)(x, states)
    assert_close(output, expected)
    for actual, wanted in zip(new_states, expected_states):
        assert_close(actual, wanted)


def test_masking_layer_mask_reaches_lstm_in_a_model(rng):
    from kfacade.layers.core.masking import Masking

    x = rng.standard_normal((BATCH, TIMESTEPS, FEATURES)).astype("float32")
    mask = padded_mask()
    x[~mask] = 0.0
    weights = random_weights(rng, "lstm")
    inputs = kfacade.Input((TIMESTEPS, FEATURES))
    lstm = LSTM(UNITS, return_sequences=True)
    outputs = lstm(Masking(0.0)(inputs))
    assert outputs._keras_mask is not None and tuple(outputs._keras_mask.shape) == (None, TIMESTEPS)
    last = LSTM(UNITS)(outputs)
    model = kfacade.Model(inputs, [outputs, last])
    lstm.set_weights(weights)
    second = model.layers[-1]
    second_weights = [rng.standard_normal(w.shape).astype("float32") * 0.5 for w in second.weights]
    second.set_weights(second_weights)
    sequence, final = model.predict(x, verbose=0)
    _, expected_sequence, _ = np_rnn(numpy_step("lstm", weights), x, zero_states("lstm"), mask)
    expected_final, _, _ = np_rnn(numpy_step("lstm", second_weights), expected_sequence,
                                  zero_states("lstm"), mask)
    assert_close(sequence, expected_sequence)
    assert_close(final, expected_final)


def test_masked_sequential_and_mask_passthrough(rng):
    from kfacade.layers.core.masking import Masking

    x = rng.standard_normal((BATCH, TIMESTEPS, FEATURES)).astype("float32")
    x[0, 3:] = 0.0
    model = kfacade.Sequential([kfacade.Input((TIMESTEPS, FEATURES)), Masking(),
                                GRU(UNITS, return_sequences=True),
                                TimeDistributed(Dense(2)), SimpleRNN(2)])
    full = to_numpy(model(x))
    # The padded steps of sample 0 must not change its result: padding it
    # further (more zero steps at the end) leaves the output as it was.
    longer = np.concatenate([x, np.zeros((BATCH, 2, FEATURES), "float32")], axis=1)
    model_longer = kfacade.Sequential([kfacade.Input((TIMESTEPS + 2, FEATURES)), Masking(),
                                       GRU(UNITS, return_sequences=True),
                                       TimeDistributed(Dense(2)), SimpleRNN(2)])
    model_longer.set_weights(model.get_weights())
    assert_close(to_numpy(model_longer(longer))[0], full[0])


def test_initial_state_eager_and_functional(rng):
    x = rng.standard_normal((BATCH, TIMESTEPS, FEATURES)).astype("float32")
    h0, c0 = (rng.standard_normal((BATCH, UNITS)).astype("float32") for _ in range(2))
    weights = random_weights(rng, "lstm")
    expected, _, (h, c) = np_rnn(numpy_step("lstm", weights), x, [h0, c0])
    layer = LSTM(UNITS, return_state=True)
    layer.build((None, TIMESTEPS, FEATURES))
    layer.set_weights(weights)
    output, h_out, c_out = layer(x, initial_state=[ops.convert_to_tensor(h0), ops.convert_to_tensor(c0)])
    assert_close(output, expected)
    assert_close(h_out, h)
    assert_close(c_out, c)

    sequence = kfacade.Input((TIMESTEPS, FEATURES))
    state_h, state_c = kfacade.Input((UNITS,)), kfacade.Input((UNITS,))
    functional_layer = LSTM(UNITS)
    model = kfacade.Model([sequence, state_h, state_c],
                          functional_layer(sequence, initial_state=[state_h, state_c]))
    functional_layer.set_weights(weights)
    assert_close(model.predict([x, h0, c0], verbose=0), expected)

    with pytest.raises(ValueError, match="2 state"):
        layer(x, initial_state=[ops.convert_to_tensor(h0)])


def test_stacked_cells_match_numpy(rng):
    x = rng.standard_normal((BATCH, TIMESTEPS, FEATURES)).astype("float32")
    cells = [LSTMCell(3), GRUCell(2, reset_after=False), SimpleRNNCell(4)]
    layer = RNN(StackedRNNCells(cells), return_sequences=True, return_state=True)
    layer.build((None, TIMESTEPS, FEATURES))
    w1, w2, w3 = (random_weights(rng, k, f, u) for k, f, u in
                  (("lstm", FEATURES, 3), ("gru_before", 3, 2), ("simple_rnn", 2, 4)))
    layer.set_weights(w1 + w2 + w3)
    steps = [numpy_step("lstm", w1), numpy_step("gru_before", w2), numpy_step("simple_rnn", w3)]

    def stacked(x_t, states):
        h1, s1 = steps[0](x_t, states[0:2])
        h2, s2 = steps[1](h1, states[2:3])
        h3, s3 = steps[2](h2, states[3:4])
        return h3, s1 + s2 + s3

    initial = [np.zeros((BATCH, n)) for n in (3, 3, 2, 4)]
    _, expected, expected_states = np_rnn(stacked, x, initial)
    outputs = layer(x)
    assert_close(outputs[0], expected)
    assert [tuple(B.shape(s)) for s in outputs[1:]] == [(BATCH, n) for n in (3, 3, 2, 4)]
    for actual, wanted in zip(outputs[1:], expected_states):
        assert_close(actual, wanted)
    # A plain list of cells is stacked too.
    listed = RNN([LSTMCell(3), SimpleRNNCell(2)])
    assert tuple(B.shape(listed(x))) == (BATCH, 2)


# Each merge mode once; return_sequences (which decides whether Bidirectional
# zeroes masked steps) both ways for a merged and a list output. The merge is
# elementwise after the two scans, so the other pairs add no code path (and
# each eager call costs a JAX compile).
@pytest.mark.parametrize("merge_mode,return_sequences", [
    ("concat", False), ("concat", True), ("sum", True), ("mul", False), ("ave", True),
    (None, False), (None, True)])
def test_bidirectional_merge_modes(merge_mode, return_sequences, rng):
    x = rng.standard_normal((BATCH, TIMESTEPS, FEATURES)).astype("float32")
    mask = padded_mask()
    forward_w, backward_w = random_weights(rng, "lstm"), random_weights(rng, "lstm")
    layer = Bidirectional(LSTM(UNITS, return_sequences=return_sequences), merge_mode=merge_mode)
    layer.build((None, TIMESTEPS, FEATURES))
    layer.set_weights(forward_w + backward_w)
    outputs = layer(x, mask=ops.convert_to_tensor(mask))
    zero = return_sequences  # Bidirectional zeroes masked steps of returned sequences
    f_last, f_seq, _ = np_rnn(numpy_step("lstm", forward_w), x, zero_states("lstm"), mask,
                              zero_output_for_mask=zero)
    b_last, b_seq, _ = np_rnn(numpy_step("lstm", backward_w), x, zero_states("lstm"), mask,
                              go_backwards=True, zero_output_for_mask=zero)
    y, y_rev = (f_seq, b_seq[:, ::-1]) if return_sequences else (f_last, b_last)
    expected = {"concat": np.concatenate([y, y_rev], -1), "sum": y + y_rev, "mul": y * y_rev,
                "ave": (y + y_rev) / 2, None: [y, y_rev]}[merge_mode]
    if merge_mode is None:
        assert len(outputs) == 2
        assert_close(outputs[0], expected[0])
        assert_close(outputs[1], expected[1])
    else:
        assert_close(outputs, expected)
    shape = layer.compute_output_shape((BATCH, TIMESTEPS, FEATURES))
    if merge_mode is None:
        assert [tuple(s) for s in shape] == [tuple(B.shape(o)) for o in outputs]
    else:
        assert tuple(shape) == tuple(B.shape(outputs))


def test_bidirectional_return_state_and_initial_state(rng):
    x = rng.standard_normal((BATCH, TIMESTEPS, FEATURES)).astype("float32")
    forward_w, backward_w = random_weights(rng, "gru"), random_weights(rng, "gru")
    h_f, h_b = (rng.standard_normal((BATCH, UNITS)).astype("float32") for _ in range(2))
    layer = Bidirectional(GRU(UNITS, return_state=True))
    layer.build((None, TIMESTEPS, FEATURES))
    layer.set_weights(forward_w + backward_w)
    assert [w.path for w in layer.weights][:3] == [
        "bidirectional/forward_gru/gru_cell/kernel",
        "bidirectional/forward_gru/gru_cell/recurrent_kernel",
        "bidirectional/forward_gru/gru_cell/bias",
    ] or [w.path.split("/")[2:] for w in layer.weights[:3]] == [
        ["gru_cell", "kernel"], ["gru_cell", "recurrent_kernel"], ["gru_cell", "bias"]]
    output, state_f, state_b = layer(x, initial_state=[ops.convert_to_tensor(h_f),
                                                       ops.convert_to_tensor(h_b)])
    f_last, _, (f_state,) = np_rnn(numpy_step("gru", forward_w), x, [h_f])
    b_last, _, (b_state,) = np_rnn(numpy_step("gru", backward_w), x, [h_b], go_backwards=True)
    assert_close(output, np.concatenate([f_last, b_last], -1))
    assert_close(state_f, f_state)
    assert_close(state_b, b_state)
    inputs = kfacade.Input((TIMESTEPS, FEATURES))
    symbolic = Bidirectional(GRU(UNITS, return_state=True), merge_mode="sum")(inputs)
    assert [tuple(t.shape) for t in symbolic] == [(None, UNITS)] * 3


def test_bidirectional_explicit_backward_layer_and_errors():
    forward = LSTM(2, return_sequences=True)
    backward = GRU(2, return_sequences=True, go_backwards=True)
    layer = Bidirectional(forward, backward_layer=backward)
    x = np.zeros((2, 3, 4), "float32")
    assert tuple(B.shape(layer(x))) == (2, 3, 4)
    assert len(layer.weights) == 6 and layer.backward_layer is backward
    with pytest.raises(ValueError, match="go_backwards"):
        Bidirectional(LSTM(2), backward_layer=LSTM(2))
    with pytest.raises(ValueError, match="merge_mode='bad'"):
        Bidirectional(LSTM(2), merge_mode="bad")
    with pytest.raises(ValueError, match="return_sequences"):
        Bidirectional(LSTM(2), backward_layer=LSTM(2, go_backwards=True, return_sequences=True))


def test_time_distributed_dense_matches_numpy(rng):
    x = rng.standard_normal((BATCH, TIMESTEPS, FEATURES)).astype("float32")
    layer = TimeDistributed(Dense(2, activation="tanh"))
    outputs = layer(x)
    kernel, bias = layer.get_weights()
    assert kernel.shape == (FEATURES, 2) and bias.shape == (2,)
    assert_close(outputs, np.tanh(x @ kernel + bias))
    assert [w.path for w in layer.weights][0].endswith("/kernel")
    assert layer.compute_output_shape((None, TIMESTEPS, FEATURES)) == (None, TIMESTEPS, 2)
    images = rng.standard_normal((2, 3, 4, 4, 1)).astype("float32")
    flat = TimeDistributed(kfacade.layers.Flatten())(images)
    assert_close(flat, images.reshape(2, 3, 16))


def test_keras_weight_layout_and_defaults(rng):
    x = rng.standard_normal((BATCH, TIMESTEPS, FEATURES)).astype("float32")
    expected = {
        "simple_rnn": [(FEATURES, 3), (3, 3), (3,)],
        "lstm": [(FEATURES, 12), (3, 12), (12,)],
        "gru": [(FEATURES, 9), (3, 9), (2, 9)],
        "gru_before": [(FEATURES, 9), (3, 9), (9,)],
    }
    cell_names = {"simple_rnn": "simple_rnn_cell", "lstm": "lstm_cell", "gru": "gru_cell",
                  "gru_before": "gru_cell"}
    for kind, shapes in expected.items():
        layer = make_layer(kind, name=f"my_{kind}")
        layer(x)
        assert [tuple(w.shape) for w in layer.get_weights()] == shapes, kind
        assert [w.path for w in layer.weights] == [
            f"my_{kind}/{cell_names[kind]}/{n}" for n in ("kernel", "recurrent_kernel", "bias")]
        assert len(layer.trainable_weights) == 3 and not layer.non_trainable_weights
    bias = LSTM(2)
    bias(x)
    np.testing.assert_array_equal(bias.get_weights()[2], [0, 0, 1, 1, 0, 0, 0, 0])  # unit_forget_bias
    no_forget = LSTM(2, unit_forget_bias=False)
    no_forget(x)
    np.testing.assert_array_equal(no_forget.get_weights()[2], np.zeros(8))
    recurrent = LSTM(3)
    recurrent(x)
    r = recurrent.get_weights()[1]  # orthogonal by default: (3, 12) has orthonormal rows
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-5)
    no_bias = GRU(3, use_bias=False)
    no_bias(x)
    assert len(no_bias.weights) == 2
    assert LSTM(3).activation is kfacade.activations.get("tanh")
    assert GRU(3).reset_after is True and LSTM(3).unit_forget_bias is True


def test_weights_in_keras_order_give_the_hand_computed_lstm(rng):
    # One step, one unit, two features: every gate written out by hand.
    kernel = np.array([[0.1, 0.2, 0.3, 0.4], [-0.5, 0.6, -0.7, 0.8]], "float32")
    recurrent = np.array([[0.9, -1.0, 1.1, -1.2]], "float32")
    bias = np.array([0.01, 0.02, 0.03, 0.04], "float32")
    x = np.array([[[1.0, 2.0]]], "float32")
    layer = LSTM(1)
    layer.build((1, 1, 2))
    layer.set_weights([kernel, recurrent, bias])
    z = np.array([1.0, 2.0]) @ kernel + bias  # h0 = 0
    i, f, g, o = sigmoid(z[0]), sigmoid(z[1]), np.tanh(z[2]), sigmoid(z[3])
    c = i * g  # c0 = 0, so f does not matter
    assert_close(layer(x), np.array([[o * np.tanh(c)]]))


def test_stateful_and_reset_states(rng):
    x = rng.standard_normal((2, 6, FEATURES)).astype("float32")
    weights = random_weights(rng, "lstm")
    layer = LSTM(UNITS, stateful=True, return_sequences=True)
    layer.build((2, 3, FEATURES))
    layer.set_weights(weights)
    first = to_numpy(layer(x[:, :3]))
    second = to_numpy(layer(x[:, 3:]))
    _, expected, _ = np_rnn(numpy_step("lstm", weights), x, zero_states("lstm", 2))
    assert_close(np.concatenate([first, second], axis=1), expected)
    assert len(layer.weights) == 3  # the states are not weights
    assert len(layer.non_trainable_variables) >= 2  # ... but state a compiled step carries
    layer.reset_states()
    assert_close(layer(x[:, :3]), first)
    with pytest.raises(ValueError, match="batch"):
        layer(x[:1, :3])
    with pytest.raises(ValueError, match="batch size must be static"):
        LSTM(2, stateful=True)(kfacade.Input((3, FEATURES)))
    model = kfacade.Sequential([kfacade.Input(batch_shape=(2, 3, FEATURES)),
                                SimpleRNN(2, stateful=True)])
    a = to_numpy(model.predict(x[:, :3], verbose=0))
    b = to_numpy(model.predict(x[:, :3], verbose=0))
    assert not np.allclose(a, b)  # the second call starts from the first's states
    model.layers[-1].reset_states()
    assert_close(model.predict(x[:, :3], verbose=0), a)


def test_dropout_masks_are_drawn_once_per_sequence():
    # Identity kernel, no recurrence, linear activation: each output step is
    # the input step times the input dropout mask, so equal inputs give
    # equal outputs at every step only if one mask serves the whole sequence.
    layer = SimpleRNN(6, activation=None, dropout=0.5, recurrent_dropout=0.5,
                      return_sequences=True, seed=3)
    layer.build((None, 4, 6))
    layer.set_weights([np.eye(6, dtype="float32"), np.zeros((6, 6), "float32"),
                       np.zeros(6, "float32")])
    x = np.ones((8, 4, 6), "float32")
    out = to_numpy(layer(x, training=True))
    assert np.all(out == out[:, :1]) and set(np.unique(out)) <= {0.0, 2.0}
    assert 0 < np.mean(out == 0) < 1
    assert_close(layer(x), x)  # inference: no dropout
    again = to_numpy(layer(x, training=True))
    assert not np.array_equal(again, out)  # a new sequence, new masks
    for cls in (LSTM, GRU):
        dropped = cls(3, dropout=0.3, recurrent_dropout=0.3)
        dropped(x, training=True)  # runs on every backend (masks drawn outside the loop)
    assert dropped.cell._dropout_mask is None  # cleared after the call


def assert_gradients_match_numpy(layer, x, numpy_output):
    """value_and_grad of ``sum(layer(x) ** 2)`` against central differences of
    the NumPy reference `numpy_output(weights)`, every entry of every weight
    (differencing the float64 NumPy side keeps it exact and fast)."""
    variables = layer.trainable_weights
    native = B.convert_to_tensor(x)

    def loss():
        return ops.sum(ops.square(layer(native))), None

    def numpy_loss(weights):
        return float(np.sum(numpy_output(weights) ** 2))

    (value, _), grads = B.value_and_grad(loss, variables)
    originals = [np.asarray(v.numpy(), np.float64) for v in variables]
    np.testing.assert_allclose(float(to_numpy(value)), numpy_loss(originals), rtol=1e-5)
    assert len(grads) == len(variables)
    for k, grad in enumerate(grads):
        grad = to_numpy(grad)
        assert grad.shape == originals[k].shape and np.all(np.isfinite(grad))
        numeric = np.zeros(originals[k].shape)
        for index in np.ndindex(originals[k].shape):
            losses = []
            for step in (1e-5, -1e-5):
                weights = [w.copy() for w in originals]
                weights[k][index] += step
                losses.append(numpy_loss(weights))
            numeric[index] = (losses[0] - losses[1]) / 2e-5
        np.testing.assert_allclose(grad, numeric, atol=1e-4, rtol=1e-3,
                                   err_msg=variables[k].path)


def test_gradients_match_finite_differences(rng):
    x = rng.standard_normal((2, 3, 2)).astype("float32")
    lstm = LSTM(2, return_sequences=True)
    lstm.build((2, 3, 2))
    lstm.set_weights([w * 2 for w in random_weights(rng, "lstm", features=2, units=2)])

    def lstm_reference(weights):
        return np_rnn(numpy_step("lstm", weights), x, zero_states("lstm", 2, 2))[1]

    assert_gradients_match_numpy(lstm, x, lstm_reference)

    wrapper = Bidirectional(GRU(2, reset_after=False), merge_mode="mul")
    wrapper.build((2, 3, 2))
    wrapper.set_weights([w * 2 for w in random_weights(rng, "gru_before", 2, 2)
                         + random_weights(rng, "gru_before", 2, 2)])

    def wrapper_reference(weights):
        forward = np_rnn(numpy_step("gru_before", weights[:3]), x, zero_states("gru", 2, 2))[0]
        backward = np_rnn(numpy_step("gru_before", weights[3:]), x, zero_states("gru", 2, 2),
                          go_backwards=True)[0]
        return forward * backward

    assert_gradients_match_numpy(wrapper, x, wrapper_reference)


@pytest.mark.parametrize("cls,kwargs,trainable", [
    (SimpleRNN, {"units": 3}, 3),
    (LSTM, {"units": 3, "return_sequences": True}, 3),
    (GRU, {"units": 3, "return_state": True}, 3),
    (GRU, {"units": 3, "reset_after": False, "go_backwards": True}, 3),
    (CuDNNLSTM, {"units": 3, "return_state": True, "go_backwards": True}, 3),
    (CuDNNGRU, {"units": 3, "return_sequences": True}, 3),
    (Bidirectional, {"layer": LSTM(2, return_sequences=True), "merge_mode": "sum"}, 6),
    (TimeDistributed, {"layer": Dense(2)}, 2),
    (RNN, {"cell": [LSTMCell(2), GRUCell(3)], "return_state": True}, 6),
], ids=["simple_rnn", "lstm", "gru", "gru_keras2", "cudnn_lstm", "cudnn_gru", "bidirectional", "time_distributed", "rnn_stacked"])
def test_run_layer_test(cls, kwargs, trainable):
    run_layer_test(cls, kwargs, input_shape=(2, 4, 3), expected_num_trainable_weights=trainable,
                   supports_masking=True, run_training_check=False)


def test_config_round_trip_keeps_cell_options():
    layer = LSTM(5, activation="relu", recurrent_dropout=0.25, go_backwards=True, name="enc",
                 implementation=1)
    config = layer.get_config()
    assert config["units"] == 5 and config["activation"] == "relu" and config["go_backwards"]
    assert "cell" not in config
    clone = LSTM.from_config(config)
    assert clone.name == "enc" and clone.recurrent_dropout == 0.25 and clone.cell.units == 5
    rnn = RNN(GRUCell(2, reset_after=False), return_sequences=True)
    rebuilt = RNN.from_config(rnn.get_config())
    assert isinstance(rebuilt.cell, GRUCell) and rebuilt.cell.reset_after is False
    with pytest.raises(TypeError, match="bogus"):
        LSTM(2, bogus=1)


def test_cudnn_layers_gradients_reach_both_biases(rng):
    """CuDNNLSTM's two bias halves are added: each gets the gradient LSTM's bias gets."""
    x = rng.standard_normal((2, 3, 2)).astype("float32")
    layer = CuDNNLSTM(2, return_sequences=True)
    layer.build((2, 3, 2))
    layer.set_weights([w * 2 for w in random_weights(rng, "cudnn_lstm", features=2, units=2)])

    def reference(weights):
        return np_rnn(numpy_step("cudnn_lstm", weights), x, zero_states("cudnn_lstm", 2, 2))[1]

    assert_gradients_match_numpy(layer, x, reference)
    gru = CuDNNGRU(2, go_backwards=True)
    gru.build((2, 3, 2))
    gru.set_weights([w * 2 for w in random_weights(rng, "cudnn_gru", features=2, units=2)])
    assert_gradients_match_numpy(gru, x, lambda weights: np_rnn(
        numpy_step("cudnn_gru", weights), x, zero_states("cudnn_gru", 2, 2), go_backwards=True)[0])


def test_cudnn_layers_take_keras2_arguments_and_config():
    lstm = CuDNNLSTM(4, bias_initializer=kfacade.initializers.Constant(0.5))
    lstm.build((None, 5, 3))
    # unit_forget_bias: the recurrent half's forget gate, where Keras 2 put it.
    expected = np.full(32, 0.5)
    expected[20:24] = 1
    assert_close(to_numpy(lstm.cell.bias.value), expected)
    gru = CuDNNGRU(4)
    gru.build((None, 5, 3))
    assert [tuple(w.shape) for w in gru.get_weights()] == [(3, 12), (4, 12), (12 * 2,)]
    for cls in (CuDNNLSTM, CuDNNGRU):
        for fixed in ({"activation": "relu"}, {"dropout": 0.1}, {"reset_after": False}):
            with pytest.raises(TypeError, match="Unrecognized keyword arguments"):
                cls(4, **fixed)
    # A config as Keras 2.2.4 wrote it (keras/layers/cudnn_recurrent.py) loads.
    keras2 = {"name": "cu_dnnlstm_1", "trainable": True, "batch_input_shape": [None, 5, 3],
              "dtype": "float32", "return_sequences": False, "return_state": False,
              "go_backwards": False, "stateful": False, "units": 4,
              "kernel_initializer": {"class_name": "VarianceScaling", "config": {
                  "scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None}},
              "recurrent_initializer": {"class_name": "Orthogonal",
                                        "config": {"gain": 1.0, "seed": None}},
              "bias_initializer": {"class_name": "Zeros", "config": {}},
              "unit_forget_bias": True, "kernel_regularizer": None, "recurrent_regularizer": None,
              "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None,
              "recurrent_constraint": None, "bias_constraint": None}
    model = kfacade.models.model_from_json(json.dumps({
        "class_name": "Sequential", "keras_version": "2.2.4", "backend": "tensorflow",
        "config": {"name": "sequential_1", "layers": [{"class_name": "CuDNNLSTM", "config": keras2}]}}))
    layer = model.layers[0]
    assert type(layer) is CuDNNLSTM and layer.name == "cu_dnnlstm_1"
    assert [tuple(w.shape) for w in layer.get_weights()] == [(3, 16), (4, 16), (32,)]


def test_errors_name_the_layer_and_the_shape():
    with pytest.raises(ValueError, match=r"'lstm_in_2d'.*expected ndim=3.*\(4, 5\)"):
        LSTM(2, name="lstm_in_2d")(np.zeros((4, 5), "float32"))
    with pytest.raises(ValueError, match="units"):
        LSTM(0)
    with pytest.raises(ValueError, match="dropout"):
        GRU(2, dropout=1.5)
    with pytest.raises(ValueError, match="cell"):
        RNN("not a cell")
    with pytest.raises(ValueError, match="rank >= 3"):
        TimeDistributed(Dense(2)).build((None, 3))


def test_fit_lstm_classifier_on_sequence_sums():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((640, 8, 1)).astype("float32")
    y = (x.sum(axis=(1, 2)) > 0).astype("float32")[:, None]
    from kfacade.utils import set_random_seed

    set_random_seed(0)
    model = kfacade.Sequential([kfacade.Input((8, 1)), LSTM(8), Dense(1, activation="sigmoid")])
    model.compile(optimizer=kfacade.optimizers.Adam(0.02), loss="binary_crossentropy",
                  metrics=["accuracy"])
    model.fit(x[:512], y[:512], batch_size=32, epochs=6, verbose=0)
    _, accuracy = model.evaluate(x[512:], y[512:], verbose=0)
    assert accuracy >= 0.8


def np_conv_lstm_step(kernel, recurrent, bias, strides, padding):
    """The NumPy ConvLSTM step (any rank): input and recurrent convolutions, gates i, f, c, o."""
    def step(x_t, states):
        h, c = states
        z = ref.conv(x_t, kernel, strides, padding) + ref.conv(h, recurrent, 1, "same") + bias
        z_i, z_f, z_c, z_o = np.split(z, 4, axis=-1)
        c = sigmoid(z_f) * c + sigmoid(z_i) * np.tanh(z_c)
        h = sigmoid(z_o) * np.tanh(c)
        return h, [h, c]
    return step


@pytest.mark.parametrize("padding,strides", [("same", 1), ("valid", 2)])
def test_conv_lstm2d_matches_numpy(padding, strides, rng):
    x = rng.standard_normal((2, 3, 5, 5, 2)).astype("float32")
    layer = ConvLSTM2D(3, 3, padding=padding, strides=strides, return_sequences=True,
                       return_state=True)
    outputs = layer(x)
    kernel, recurrent, bias = (np.asarray(w, np.float64) for w in layer.get_weights())
    assert kernel.shape == (3, 3, 2, 12) and recurrent.shape == (3, 3, 3, 12) and bias.shape == (12,)
    assert layer.weights[0].path == f"{layer.name}/conv_lstm_cell/kernel"
    assert layer.name.startswith("conv_lstm2d")

    side = 5 if padding == "same" else 2
    zeros = [np.zeros((2, side, side, 3))] * 2
    step = np_conv_lstm_step(kernel, recurrent, bias, strides, padding)
    _, expected, (h, c) = np_rnn(step, x, zeros)
    assert tuple(layer.compute_output_shape((None, 3, 5, 5, 2))[0]) == (None, 3, side, side, 3)
    assert_close(outputs[0], expected)
    assert_close(outputs[1], h)
    assert_close(outputs[2], c)


@pytest.mark.parametrize("cls,rank,padding,strides", [
    (ConvLSTM1D, 1, "same", 1), (ConvLSTM1D, 1, "valid", 2), (ConvLSTM3D, 3, "valid", 1),
])
def test_conv_lstm_1d_3d_match_numpy(cls, rank, padding, strides, rng):
    side = 6 if rank == 1 else 4
    x = rng.standard_normal((2, 3) + (side,) * rank + (2,)).astype("float32")
    layer = cls(3, 3, padding=padding, strides=strides, return_sequences=True, return_state=True)
    outputs = layer(x)
    kernel, recurrent, bias = (np.asarray(w, np.float64) for w in layer.get_weights())
    assert kernel.shape == (3,) * rank + (2, 12) and recurrent.shape == (3,) * rank + (3, 12)
    assert layer.weights[0].path == f"{layer.name}/conv_lstm_cell/kernel"

    step = np_conv_lstm_step(kernel, recurrent, bias, strides, padding)
    out_side = side if padding == "same" else (side - 3) // strides + 1
    zeros = [np.zeros((2,) + (out_side,) * rank + (3,))] * 2
    _, expected, (h, c) = np_rnn(step, x, zeros)
    assert tuple(layer.compute_output_shape((None, 3) + (side,) * rank + (2,))[0]) == \
        (None, 3) + (out_side,) * rank + (3,)
    assert_close(outputs[0], expected)
    assert_close(outputs[1], h)
    assert_close(outputs[2], c)


@pytest.mark.parametrize("cls,input_shape,output_shape", [
    (ConvLSTM1D, (2, 3, 5, 2), (2, 5, 2)),
    (ConvLSTM3D, (1, 2, 3, 3, 3, 1), (1, 3, 3, 3, 2)),
])
def test_conv_lstm_1d_3d_layer_contract(cls, input_shape, output_shape):
    # No finite-difference check: it costs ~10 s of eager scans on JAX; the
    # forward values are checked against NumPy in the test above.
    run_layer_test(cls, {"filters": 2, "kernel_size": 2, "padding": "same"},
                   input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=3, run_training_check=False)
    with pytest.raises(TypeError, match="nonsense"):
        cls(2, 2, nonsense=1)
