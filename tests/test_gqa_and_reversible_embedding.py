"""GroupQueryAttention and ReversibleEmbedding against NumPy references.

Runs on the active backend (``KERAS_BACKEND``). The GQA reference projects
with the layer's own (random) weights in Keras 3's layout, repeats each
key/value head ``num_query_heads // num_key_value_heads`` times, and takes a
masked softmax in float64. Two rules for a query row whose every key is
masked, both Keras's: the explicit path (scores returned, or dropout set)
gives it zero weights; ``ops.dot_product_attention`` averages every value.
One set of shapes throughout keeps compiled functions few (JAX).
"""
import os
import zipfile

import numpy as np
import pytest

import kfacade
from kfacade import ops
from kfacade.engine.masks import get_keras_mask
from kfacade.layers import Embedding, GroupedQueryAttention, GroupQueryAttention, ReversibleEmbedding

try:
    from tests.helpers import assert_close
    from tests.layer_testing import run_layer_test
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import assert_close
    from layer_testing import run_layer_test

B, T, S, DIM, HEAD_DIM, HEADS = 2, 4, 5, 6, 3, 4
QUERY_MASK = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], dtype=bool)
VALUE_MASK = np.array([[1, 1, 1, 1, 0], [1, 0, 1, 1, 1]], dtype=bool)
VOCAB, WIDTH = 11, 6


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _causal(tq, ts):
    return np.arange(tq)[:, None] >= np.arange(ts)[None, :]


def _np_gqa(query, value, key, weights, kv_heads, mask=None, zero_masked_rows=True):
    """(outputs, weights) of grouped-query attention; `mask` (B, T, S), True attends."""
    wq, bq, wk, bk, wv, bv, wo, bo = (w.astype("float64") for w in weights)
    query, value, key = (x.astype("float64") for x in (query, value, key))
    q = np.einsum("btd,dnh->btnh", query, wq) + bq
    k = np.repeat(np.einsum("bsd,dkh->bskh", key, wk) + bk, HEADS // kv_heads, axis=2)
    v = np.repeat(np.einsum("bsd,dkh->bskh", value, wv) + bv, HEADS // kv_heads, axis=2)
    scores = np.einsum("btnh,bsnh->bnts", q, k) / np.sqrt(HEAD_DIM)
    if mask is not None:
        scores = np.where(mask[:, None], scores, -1e9)
    probabilities = _softmax(scores)
    if mask is not None and zero_masked_rows:
        probabilities = np.where(mask[:, None], probabilities, 0.0)
    context = np.einsum("bnts,bsnh->btnh", probabilities, v)
    return np.einsum("btnh,nhd->btd", context, wo) + bo, probabilities


def _random_weights(layer, rng):
    values = [(0.5 * rng.standard_normal(w.shape)).astype("float32") for w in layer.weights]
    layer.set_weights(values)
    return values


@pytest.fixture
def qvk(rng):
    return tuple(rng.standard_normal(shape).astype("float32")
                 for shape in ((B, T, DIM), (B, S, DIM), (B, S, DIM)))


# ------------------------------------------------------- GroupQueryAttention

ATTENTION_MASK = np.random.default_rng(7).random((B, T, S)) > 0.3
WINDOW = np.abs(np.arange(T)[:, None] - np.arange(S)[None, :]) < 2

CASES = {
    # name: (num_key_value_heads, layer kwargs, call kwargs, reference mask, scores returned)
    "plain": (2, {}, {}, None, False),
    "causal": (2, {}, {"use_causal_mask": True}, np.broadcast_to(_causal(T, S), (B, T, S)), False),
    "masks": (2, {}, {"query_mask": QUERY_MASK, "value_mask": VALUE_MASK,
                      "attention_mask": ATTENTION_MASK},
              QUERY_MASK[:, :, None] & VALUE_MASK[:, None, :] & ATTENTION_MASK, False),
    "sliding_window": (2, {"sliding_window": 2}, {}, np.broadcast_to(WINDOW, (B, T, S)), False),
    "multi_head": (HEADS, {}, {}, None, False),
    "multi_query": (1, {}, {"use_causal_mask": True},
                    np.broadcast_to(_causal(T, S), (B, T, S)), False),
    "scores": (2, {}, {}, None, True),
    "scores_masks_causal": (2, {}, {"query_mask": QUERY_MASK, "value_mask": VALUE_MASK,
                                    "use_causal_mask": True},
                            QUERY_MASK[:, :, None] & VALUE_MASK[:, None, :] & _causal(T, S), True),
    "no_bias": (1, {"use_bias": False}, {}, None, True),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_gqa_matches_numpy(qvk, rng, case):
    kv_heads, layer_kwargs, call_kwargs, mask, with_scores = CASES[case]
    query, value, key = qvk
    layer = GroupQueryAttention(head_dim=HEAD_DIM, num_query_heads=HEADS,
                                num_key_value_heads=kv_heads, **layer_kwargs)
    layer(query, value, key)
    weights = _random_weights(layer, rng)
    if not layer.use_bias:
        wq, wk, wv, wo = weights
        zeros = np.zeros
        weights = [wq, zeros((HEADS, HEAD_DIM)), wk, zeros((kv_heads, HEAD_DIM)), wv,
                   zeros((kv_heads, HEAD_DIM)), wo, zeros(DIM)]
    result = layer(query, value, key, return_attention_scores=with_scores, **call_kwargs)
    # The fused path (no scores) averages a fully masked row; the explicit one zeroes it.
    expected, expected_weights = _np_gqa(query, value, key, weights, kv_heads, mask,
                                         zero_masked_rows=with_scores)
    outputs = result[0] if with_scores else result
    assert tuple(ops.shape(outputs)) == (B, T, DIM)
    assert_close(outputs, expected)
    if with_scores:
        assert tuple(ops.shape(result[1])) == (B, HEADS, T, S)
        assert_close(result[1], expected_weights)


def test_gqa_keras_masks_fill_the_mask_arguments(qvk, rng):
    query, value, _ = qvk
    layer = GroupQueryAttention(head_dim=HEAD_DIM, num_query_heads=HEADS, num_key_value_heads=2)
    layer(query, value)
    weights = _random_weights(layer, rng)
    value_tensor = ops.convert_to_tensor(value)
    kfacade.engine.masks.set_keras_mask(value_tensor, ops.convert_to_tensor(VALUE_MASK))
    expected, _ = _np_gqa(query, value, value, weights, 2,
                          np.broadcast_to(VALUE_MASK[:, None, :], (B, T, S)))
    assert_close(layer(query, value_tensor), expected)


def test_gqa_weight_layout_is_keras(qvk):
    # Keras 3.15.1, keras/src/layers/attention/grouped_query_attention.py, build()
    # (lines 180-233): query "bqm,muh->bquh", key "bkm,mvh->bkvh", then the
    # optional gate (built between key and value), value, and attention_output
    # "bquh,uhm->bqm"; each kernel then bias. Its .keras files store them under
    # the private attribute names (_query_dense, ...; saving_lib._walk_saveable).
    query, value, _ = qvk
    value = np.concatenate([value, value[..., :1]], axis=-1)  # value width 7
    layer = GroupQueryAttention(head_dim=HEAD_DIM, num_query_heads=HEADS, num_key_value_heads=2,
                                use_gate=True)
    layer(query, value)
    name = layer.name
    assert name.startswith("grouped_query_attention")
    assert [(w.path, tuple(w.shape)) for w in layer.weights] == [
        (f"{name}/query/kernel", (DIM, HEADS, HEAD_DIM)), (f"{name}/query/bias", (HEADS, HEAD_DIM)),
        (f"{name}/key/kernel", (7, 2, HEAD_DIM)), (f"{name}/key/bias", (2, HEAD_DIM)),
        (f"{name}/gate/kernel", (DIM, HEADS, HEAD_DIM)), (f"{name}/gate/bias", (HEADS, HEAD_DIM)),
        (f"{name}/value/kernel", (7, 2, HEAD_DIM)), (f"{name}/value/bias", (2, HEAD_DIM)),
        (f"{name}/attention_output/kernel", (HEADS, HEAD_DIM, DIM)),
        (f"{name}/attention_output/bias", (DIM,)),
    ]


def test_gqa_dropout_in_training_only(qvk, rng):
    query, value, _ = qvk
    layer = GroupQueryAttention(head_dim=HEAD_DIM, num_query_heads=HEADS, num_key_value_heads=2,
                                dropout=0.5, seed=3)
    layer(query, value)
    expected, _ = _np_gqa(query, value, value, _random_weights(layer, rng), 2)
    assert_close(layer(query, value), expected)  # inference: no dropout
    trained = ops.convert_to_numpy(layer(query, value, training=True))
    assert np.abs(trained - expected).max() > 1e-3


def test_gqa_config_round_trip():
    layer = GroupQueryAttention(head_dim=2, num_query_heads=4, num_key_value_heads=2, dropout=0.1,
                                use_bias=False, sliding_window=3, use_gate=True,
                                kernel_initializer="he_normal", kernel_regularizer="l2", seed=5)
    config = layer.get_config()
    assert GroupedQueryAttention.from_config(config).get_config() == config
    assert "flash_attention" not in config  # as Keras's config
    serialized = kfacade.layers.serialize(layer)
    assert (serialized["module"], serialized["class_name"]) == ("keras.layers",
                                                                "GroupedQueryAttention")
    clone = kfacade.layers.deserialize(serialized)
    assert type(clone) is GroupedQueryAttention and clone.get_config() == config
    assert GroupQueryAttention is GroupedQueryAttention


def test_gqa_errors(qvk):
    with pytest.raises(ValueError, match="divisible by `num_key_value_heads`.*num_query_heads=6"):
        GroupQueryAttention(head_dim=2, num_query_heads=6, num_key_value_heads=4)
    with pytest.raises(ValueError, match="num_key_value_heads=0"):
        GroupQueryAttention(head_dim=2, num_query_heads=4, num_key_value_heads=0)
    with pytest.raises(ValueError, match="Dropout is not supported when flash attention"):
        GroupQueryAttention(head_dim=2, num_query_heads=4, num_key_value_heads=2, dropout=0.1,
                            flash_attention=True)
    with pytest.raises(ValueError, match="sliding_window"):
        GroupQueryAttention(head_dim=2, num_query_heads=4, num_key_value_heads=2, sliding_window=0)
    query, value, _ = qvk
    layer = GroupQueryAttention(head_dim=2, num_query_heads=4, num_key_value_heads=2,
                                flash_attention=True)
    with pytest.raises(ValueError, match="Returning attention scores is not supported"):
        layer(query, value, return_attention_scores=True)
    with pytest.raises(ValueError, match="needs `query` and `value`"):
        layer(query)


# ------------------------------------------------------- ReversibleEmbedding


@pytest.mark.parametrize("tie_weights", [True, False])
def test_reversible_embedding_contract(tie_weights):
    run_layer_test(ReversibleEmbedding, {"input_dim": VOCAB, "output_dim": WIDTH,
                                         "tie_weights": tie_weights},
                   input_shape=(B, T), input_dtype="int32", expected_output_shape=(B, T, WIDTH),
                   expected_num_trainable_weights=1 if tie_weights else 2)


@pytest.mark.parametrize("tie_weights", [True, False])
@pytest.mark.parametrize("soft_cap", [None, 2.0])
def test_reversible_embedding_matches_numpy(rng, tie_weights, soft_cap):
    ids = rng.integers(0, VOCAB, size=(B, T)).astype("int32")
    hidden = rng.standard_normal((B, T, WIDTH)).astype("float32")
    layer = ReversibleEmbedding(VOCAB, WIDTH, tie_weights=tie_weights, logit_soft_cap=soft_cap)
    plain = Embedding(VOCAB, WIDTH)
    layer(ids)
    plain(ids)
    weights = _random_weights(layer, rng)
    # Keras 3.15.1 reversible_embedding.py build() (lines 109-120): embeddings,
    # then (untied) reverse_embeddings (output_dim, input_dim).
    assert [w.path.split("/")[-1] for w in layer.weights] == (
        ["embeddings"] if tie_weights else ["embeddings", "reverse_embeddings"])
    plain.set_weights(weights[:1])
    assert_close(layer(ids), ops.convert_to_numpy(plain(ids)))
    kernel = weights[0].T if tie_weights else weights[1]
    logits = hidden.astype("float64") @ kernel
    if soft_cap is not None:
        logits = soft_cap * np.tanh(logits / soft_cap)
    assert_close(layer(hidden, reverse=True), logits)
    assert layer.compute_output_shape((B, T, WIDTH), reverse=True) == (B, T, VOCAB)


def test_reversible_embedding_masks_and_dtype(rng):
    ids = np.array([[3, 1, 0, 0], [2, 0, 5, 0]], dtype="int32")
    layer = ReversibleEmbedding(VOCAB, WIDTH, mask_zero=True, reverse_dtype="float32")
    hidden = layer(ids)
    np.testing.assert_array_equal(ops.convert_to_numpy(get_keras_mask(hidden)), ids != 0)
    logits = layer(hidden, reverse=True)
    assert get_keras_mask(logits) is None  # logits carry no mask, as in Keras
    assert str(ops.dtype(logits)).endswith("float32")


def test_reversible_embedding_config_round_trip():
    layer = ReversibleEmbedding(VOCAB, WIDTH, tie_weights=False, mask_zero=True,
                                reverse_dtype="float32", logit_soft_cap=30.0,
                                embeddings_initializer="glorot_uniform")
    config = layer.get_config()
    assert {k: config[k] for k in ("tie_weights", "reverse_dtype", "logit_soft_cap")} == {
        "tie_weights": False, "reverse_dtype": "float32", "logit_soft_cap": 30.0}
    assert ReversibleEmbedding.from_config(config).get_config() == config
    clone = kfacade.layers.deserialize(kfacade.layers.serialize(layer))
    assert type(clone) is ReversibleEmbedding and clone.get_config() == config


# ------------------------------------------- both in a compiled, saved model


def _language_model():
    tokens = kfacade.Input((T,), dtype="int32")
    embedding = ReversibleEmbedding(VOCAB, WIDTH, tie_weights=False, mask_zero=True)
    hidden = embedding(tokens)
    attended = GroupQueryAttention(head_dim=HEAD_DIM, num_query_heads=HEADS,
                                   num_key_value_heads=2)(hidden, hidden, use_causal_mask=True)
    logits = embedding(kfacade.layers.Add()([hidden, attended]), reverse=True)
    return kfacade.Model(tokens, logits)


def test_language_model_fits_and_round_trips_through_keras_file(rng, tmp_path):
    tokens = rng.integers(1, VOCAB, size=(16, T)).astype("int32")
    targets = np.roll(tokens, -1, axis=1)
    model = _language_model()
    model.compile(optimizer=kfacade.optimizers.Adam(0.05),
                  loss=kfacade.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(tokens, targets, batch_size=8, epochs=4, verbose=0).history["loss"]
    assert history[-1] < history[0]
    path = os.path.join(tmp_path, "lm.keras")
    model.save(path)
    with zipfile.ZipFile(path) as archive, archive.open("model.weights.h5") as stored:
        import h5py

        with h5py.File(stored, "r") as h5:
            groups = []
            h5.visit(groups.append)
    # Keras's paths: the projections under their private attribute names.
    for child in ("_query_dense", "_key_dense", "_value_dense", "_output_dense"):
        assert f"layers/grouped_query_attention/{child}/vars/0" in groups
    assert "layers/reversible_embedding/vars/1" in groups
    loaded = kfacade.saving.load_model(path)
    assert_close(loaded.predict(tokens, verbose=0), model.predict(tokens, verbose=0))
