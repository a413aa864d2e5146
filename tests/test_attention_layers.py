"""Attention, AdditiveAttention and MultiHeadAttention against NumPy references.

Runs on the active backend (``KERAS_BACKEND``). The references are the
textbook formulas in float64 (softmax of masked scores, einsum projections
in Keras 3's weight layout); inputs are standard normal, so float32 results
agree within 1e-5.
"""
import numpy as np
import pytest

import kfacade
from kfacade import ops
from kfacade.layers.attention import AdditiveAttention, Attention, MultiHeadAttention

try:
    from tests.helpers import assert_close
    from tests.layer_testing import run_layer_test
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import assert_close
    from layer_testing import run_layer_test

B, TQ, TV, DIM = 2, 4, 5, 6
QUERY_MASK = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], dtype=bool)
VALUE_MASK = np.array([[1, 1, 1, 1, 0], [1, 0, 1, 1, 1]], dtype=bool)


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _causal(tq, tv):
    return np.arange(tq)[:, None] >= np.arange(tv)[None, :]


def _np_attention(query, value, key, scores, query_mask=None, value_mask=None, causal=False):
    """Keras 3's rule: masked scores lose 1e9, masked query rows output 0."""
    keep = np.ones(scores.shape, dtype=bool)
    if value_mask is not None:
        keep &= value_mask[:, None, :]
    if causal:
        keep &= _causal(scores.shape[1], scores.shape[2])[None]
    scores = np.where(keep, scores, scores - 1e9)
    weights = _softmax(scores)
    outputs = weights @ value
    if query_mask is not None:
        outputs = np.where(query_mask[..., None], outputs, 0.0)
    return outputs, weights


@pytest.fixture
def qvk(rng):
    query = rng.standard_normal((B, TQ, DIM)).astype("float32")
    value = rng.standard_normal((B, TV, DIM)).astype("float32")
    key = rng.standard_normal((B, TV, DIM)).astype("float32")
    return query, value, key


# ------------------------------------------------------------ Attention


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("causal", [False, True])
def test_dot_attention_matches_numpy(qvk, masked, causal):
    query, value, key = qvk
    layer = Attention(use_scale=True)
    layer.build([query.shape, value.shape, key.shape])
    layer.set_weights([np.array(0.7, dtype="float32")])
    mask = [QUERY_MASK, VALUE_MASK] if masked else None
    outputs, weights = layer([query, value, key], mask=mask, use_causal_mask=causal,
                             return_attention_scores=True)
    q64, v64, k64 = (x.astype("float64") for x in (query, value, key))
    scores = 0.7 * q64 @ k64.transpose(0, 2, 1)
    expected, expected_weights = _np_attention(
        q64, v64, k64, scores, QUERY_MASK if masked else None, VALUE_MASK if masked else None, causal)
    assert tuple(ops.shape(outputs)) == (B, TQ, DIM)
    assert tuple(ops.shape(weights)) == (B, TQ, TV)
    assert_close(outputs, expected)
    assert_close(weights, expected_weights)


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("causal", [False, True])
def test_concat_attention_matches_numpy(qvk, masked, causal):
    query, value, key = qvk
    layer = Attention(use_scale=True, score_mode="concat")
    layer.build([query.shape, value.shape, key.shape])
    assert [w.name for w in layer.weights] == ["scale", "concat_score_weight"]
    layer.set_weights([np.array(0.6, "float32"), np.array(1.3, "float32")])
    mask = [QUERY_MASK, VALUE_MASK] if masked else None
    outputs, weights = layer([query, value, key], mask=mask, use_causal_mask=causal,
                             return_attention_scores=True)
    q64, v64, k64 = (x.astype("float64") for x in (query, value, key))
    scores = 1.3 * np.tanh(0.6 * (q64[:, :, None, :] + k64[:, None, :, :])).sum(-1)
    expected, expected_weights = _np_attention(
        q64, v64, k64, scores, QUERY_MASK if masked else None, VALUE_MASK if masked else None, causal)
    assert_close(outputs, expected)
    assert_close(weights, expected_weights)


def test_attention_key_defaults_to_value_and_mask_propagates(qvk):
    query, value, _ = qvk
    layer = Attention()
    outputs = layer([query, value])
    q64, v64 = query.astype("float64"), value.astype("float64")
    expected, _ = _np_attention(q64, v64, v64, q64 @ v64.transpose(0, 2, 1))
    assert_close(outputs, expected)
    assert layer.compute_mask([query, value], [QUERY_MASK, VALUE_MASK]) is QUERY_MASK
    assert layer.compute_mask([query, value], None) is None


def test_additive_attention_matches_numpy(qvk, rng):
    query, value, key = qvk
    layer = AdditiveAttention()
    layer.build([query.shape, value.shape, key.shape])
    scale = rng.standard_normal((DIM,)).astype("float32")
    assert [tuple(w.shape) for w in layer.weights] == [(DIM,)]
    layer.set_weights([scale])
    outputs, weights = layer([query, value, key], mask=[QUERY_MASK, VALUE_MASK],
                             use_causal_mask=True, return_attention_scores=True)
    q64, v64, k64 = (x.astype("float64") for x in (query, value, key))
    scores = (scale * np.tanh(q64[:, :, None, :] + k64[:, None, :, :])).sum(-1)
    expected, expected_weights = _np_attention(q64, v64, k64, scores, QUERY_MASK, VALUE_MASK, True)
    assert_close(outputs, expected)
    assert_close(weights, expected_weights)
    assert "score_mode" not in layer.get_config()


@pytest.mark.parametrize("cls,kwargs,weights", [
    (Attention, {}, 0),
    (Attention, {"use_scale": True, "score_mode": "concat"}, 2),
    (AdditiveAttention, {}, 1),
])
def test_attention_layer_contract(cls, kwargs, weights):
    run_layer_test(cls, kwargs, input_shape=[(B, TQ, DIM), (B, TV, DIM)],
                   expected_output_shape=(B, TQ, DIM), expected_num_trainable_weights=weights)


def test_attention_scores_in_functional_model(qvk):
    query, value, _ = qvk
    q_in, v_in = kfacade.Input((TQ, DIM)), kfacade.Input((TV, DIM))
    outputs, scores = Attention()([q_in, v_in], return_attention_scores=True)
    assert tuple(outputs.shape) == (None, TQ, DIM) and tuple(scores.shape) == (None, TQ, TV)
    model = kfacade.Model([q_in, v_in], [outputs, scores])
    predicted = model.predict([query, value], verbose=0)
    eager = Attention()([query, value], return_attention_scores=True)
    for got, want in zip(predicted, eager):
        assert_close(got, want)


def test_attention_dropout_only_in_training(qvk):
    query, value, _ = qvk
    layer = Attention(dropout=0.5, seed=3)
    plain = Attention()
    assert_close(layer([query, value]), plain([query, value]))
    _, weights = layer([query, value], training=True, return_attention_scores=True)
    weights = ops.convert_to_numpy(weights)
    assert np.all((weights == 0) | (weights > 0)) and np.any(weights == 0)


def test_attention_errors():
    with pytest.raises(ValueError, match=r"score_mode=nonsense"):
        Attention(score_mode="nonsense")
    query = np.zeros((1, 2, 3), "float32")
    with pytest.raises(ValueError, match="must be called on a list of inputs"):
        Attention()(query)
    with pytest.raises(ValueError, match="Received length: 1"):
        Attention()([query])


# ---------------------------------------------------- MultiHeadAttention


def _np_mha(weights, query, value, key, heads, attention_mask=None, use_bias=True):
    """Keras 3's MultiHeadAttention in NumPy (float64) for rank-3 inputs."""
    weights = [w.astype("float64") for w in weights]
    if use_bias:
        wq, bq, wk, bk, wv, bv, wo, bo = weights
    else:
        wq, wk, wv, wo = weights
        bq = bk = bv = bo = 0.0
    q = np.einsum("btd,dnh->btnh", query, wq) + bq
    k = np.einsum("bsd,dnh->bsnh", key, wk) + bk
    v = np.einsum("bsd,dnh->bsnh", value, wv) + bv
    scores = np.einsum("bsnh,btnh->bnts", k, q / np.sqrt(wq.shape[-1]))
    if attention_mask is not None:
        mask = attention_mask[:, None]
        scores = np.where(mask, scores, -1e9)
    probabilities = _softmax(scores)
    if attention_mask is not None:
        probabilities = np.where(mask, probabilities, 0.0)
    context = np.einsum("bnts,bsnh->btnh", probabilities, v)
    return np.einsum("btnh,nho->bto", context, wo) + bo, probabilities


def _random_weights(layer, rng):
    values = [(0.5 * rng.standard_normal(w.shape)).astype("float32") for w in layer.weights]
    layer.set_weights(values)
    return values


def test_mha_weight_layout_is_keras():
    layer = MultiHeadAttention(num_heads=3, key_dim=2, value_dim=4)
    layer(np.zeros((1, TQ, DIM), "float32"), np.zeros((1, TV, 7), "float32"))
    assert [(w.path, tuple(w.shape)) for w in layer.weights] == [
        (f"{layer.name}/query/kernel", (DIM, 3, 2)), (f"{layer.name}/query/bias", (3, 2)),
        (f"{layer.name}/key/kernel", (7, 3, 2)), (f"{layer.name}/key/bias", (3, 2)),
        (f"{layer.name}/value/kernel", (7, 3, 4)), (f"{layer.name}/value/bias", (3, 4)),
        (f"{layer.name}/attention_output/kernel", (3, 4, DIM)),
        (f"{layer.name}/attention_output/bias", (DIM,)),
    ]
    no_bias = MultiHeadAttention(num_heads=2, key_dim=3, use_bias=False, output_shape=5)
    out = no_bias(np.zeros((1, TQ, DIM), "float32"), np.zeros((1, TV, DIM), "float32"))
    assert tuple(ops.shape(out)) == (1, TQ, 5)
    assert [tuple(w.shape) for w in no_bias.weights] == [(DIM, 2, 3), (DIM, 2, 3), (DIM, 2, 3), (2, 3, 5)]


@pytest.mark.parametrize("case", ["plain", "masks", "causal", "attention_mask", "no_bias"])
def test_mha_matches_numpy(qvk, rng, case):
    query, value, key = qvk
    layer = MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4, use_bias=case != "no_bias")
    layer(query, value, key)
    weights = _random_weights(layer, rng)
    kwargs, mask = {}, None
    if case == "masks":
        kwargs = {"query_mask": QUERY_MASK, "value_mask": VALUE_MASK}
        mask = QUERY_MASK[:, :, None] & VALUE_MASK[:, None, :]
    elif case == "causal":
        kwargs = {"use_causal_mask": True}
        mask = np.broadcast_to(_causal(TQ, TV), (B, TQ, TV))
    elif case == "attention_mask":
        explicit = rng.random((B, TQ, TV)) > 0.3
        kwargs = {"attention_mask": explicit, "value_mask": VALUE_MASK, "use_causal_mask": True}
        mask = explicit & VALUE_MASK[:, None, :] & _causal(TQ, TV)[None]
    outputs, scores = layer(query, value, key, return_attention_scores=True, **kwargs)
    expected, expected_scores = _np_mha(weights, *(x.astype("float64") for x in (query, value, key)),
                                        heads=2, attention_mask=mask, use_bias=case != "no_bias")
    assert tuple(ops.shape(scores)) == (B, 2, TQ, TV)
    assert_close(outputs, expected)
    assert_close(scores, expected_scores)


def test_mha_self_attention_in_functional_model(rng):
    x = rng.standard_normal((B, TQ, DIM)).astype("float32")
    layer = MultiHeadAttention(num_heads=2, key_dim=3)
    inputs = kfacade.Input((TQ, DIM))
    outputs, scores = layer(inputs, inputs, return_attention_scores=True)
    assert tuple(outputs.shape) == (None, TQ, DIM) and tuple(scores.shape) == (None, 2, TQ, TQ)
    model = kfacade.Model(inputs, outputs)
    weights = _random_weights(layer, rng)
    expected, _ = _np_mha(weights, x.astype("float64"), x.astype("float64"), x.astype("float64"), 2)
    assert_close(model.predict(x, verbose=0), expected)


def test_mha_config_round_trip():
    layer = MultiHeadAttention(num_heads=2, key_dim=3, value_dim=5, output_shape=(4,),
                               attention_axes=1, kernel_initializer="he_normal", seed=7)
    config = layer.get_config()
    clone = MultiHeadAttention.from_config(config)
    assert clone.get_config() == config
    assert config["value_dim"] == 5 and config["output_shape"] == (4,) and config["attention_axes"] == (1,)


def test_mha_over_two_attention_axes_matches_numpy(rng):
    query = rng.standard_normal((B, 2, 3, DIM)).astype("float32")
    value = rng.standard_normal((B, 2, 3, DIM)).astype("float32")
    layer = MultiHeadAttention(num_heads=2, key_dim=3, attention_axes=(1, 2))
    layer(query, value)
    wq, bq, wk, bk, wv, bv, wo, bo = (w.astype("float64") for w in _random_weights(layer, rng))
    q = np.einsum("bxyd,dnh->bxynh", query, wq) + bq
    k = np.einsum("bxyd,dnh->bxynh", value, wk) + bk
    v = np.einsum("bxyd,dnh->bxynh", value, wv) + bv
    scores = np.einsum("buvnh,bxynh->bnxyuv", k, q / np.sqrt(3)).reshape(B, 2, 2, 3, 6)
    probabilities = _softmax(scores).reshape(B, 2, 2, 3, 2, 3)
    context = np.einsum("bnxyuv,buvnh->bxynh", probabilities, v)
    assert_close(layer(query, value), np.einsum("bxynh,nho->bxyo", context, wo) + bo)


def test_mha_dropout_inside_compiled_fit(rng):
    x = rng.standard_normal((8, TQ, DIM)).astype("float32")
    y = rng.standard_normal((8, TQ, DIM)).astype("float32")
    inputs = kfacade.Input((TQ, DIM))
    outputs = MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.2, seed=1)(inputs, inputs)
    model = kfacade.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    # Dropout acts inside the compiled train step: its loss on a batch is not
    # the dropout-free loss of the same weights.
    clean = model.test_on_batch(x, y)
    assert model.train_on_batch(x, y) != pytest.approx(clean, rel=1e-4)
    # Inference ignores dropout: two predictions agree.
    assert_close(model.predict(x, verbose=0), model.predict(x, verbose=0))


def test_mha_errors():
    with pytest.raises(ValueError, match="num_heads=0"):
        MultiHeadAttention(num_heads=0, key_dim=2)
    with pytest.raises(ValueError, match="key_dim=None"):
        MultiHeadAttention(num_heads=2, key_dim=None)
    layer = MultiHeadAttention(num_heads=2, key_dim=2)
    with pytest.raises(ValueError, match="except the last one"):
        layer(np.zeros((1, 3, 4), "float32"), np.zeros((1, 5, 4), "float32"),
              np.zeros((1, 6, 4), "float32"))
