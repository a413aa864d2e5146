"""``kfacade.ops.dot_product_attention`` against a NumPy reference, through
the adapter's fused kernel and from its parts, on the active backend."""
import numpy as np
import pytest

import kfacade
from kfacade import ops

try:
    from tests.helpers import assert_close
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import assert_close

F32 = np.float32
RNG = np.random.default_rng(11)


def attention_reference(q, k, v, bias=None, mask=None, scale=None, is_causal=False, soft_cap=None):
    q, k, v = (a.astype(np.float64) for a in (q, k, v))
    heads, kv_heads = q.shape[2], k.shape[2]
    k, v = np.repeat(k, heads // kv_heads, axis=2), np.repeat(v, heads // kv_heads, axis=2)
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    logits = np.einsum("btnh,bsnh->bnts", q, k) * scale
    if bias is not None:
        logits = logits + bias
    if soft_cap is not None:
        logits = soft_cap * np.tanh(logits / soft_cap)
    keep = np.ones(logits.shape, bool)
    if mask is not None:
        keep &= np.broadcast_to(mask, logits.shape)
    if is_causal:
        keep &= np.tril(np.ones(logits.shape[-2:], bool))
    logits = np.where(keep, logits, -0.7 * np.finfo(F32).max)
    weights = np.exp(logits - logits.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    return np.einsum("bnts,bsnh->btnh", weights, v).astype(F32)


Q = RNG.normal(size=(2, 5, 4, 8)).astype(F32)
K = RNG.normal(size=(2, 6, 4, 8)).astype(F32)
V = RNG.normal(size=(2, 6, 4, 8)).astype(F32)
K_GROUPED, V_GROUPED = K[:, :, :2], V[:, :, :2]
BIAS = RNG.normal(size=(1, 4, 5, 6)).astype(F32)
MASK = RNG.random((2, 1, 5, 6)) < 0.7
MASK[0, 0, 1] = False  # a query that attends nothing averages every value

CASES = {
    "plain": ((Q, K, V), {}),
    "scale": ((Q, K, V), {"scale": 0.3}),
    "grouped_query": ((Q, K_GROUPED, V_GROUPED), {}),
    "bias": ((Q, K, V), {"bias": BIAS}),
    "mask": ((Q, K, V), {"mask": MASK}),
    "causal": ((Q, K, V), {"is_causal": True}),
    "causal_grouped_self": ((Q, Q[:, :, :1], Q[:, :, :1]), {"is_causal": True}),
    "causal_and_mask": ((Q, K, V), {"is_causal": True, "mask": MASK}),
    "soft_cap": ((Q * 4, K, V), {"soft_cap": 2.0}),
}


@pytest.mark.parametrize("flash_attention", [None, False])
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_matches_numpy(case, flash_attention):
    (q, k, v), kwargs = case
    options = {("attn_logits_soft_cap" if key == "soft_cap" else key): value for key, value in kwargs.items()}
    result = ops.dot_product_attention(q, k, v, flash_attention=flash_attention, **options)
    assert tuple(ops.shape(result)) == q.shape
    assert_close(result, attention_reference(q, k, v, **kwargs), rtol=1e-5, atol=1e-5)


def test_disabled_flash_attention_gives_the_same_numbers():
    fused = ops.dot_product_attention(Q, K, V, is_causal=True)
    kfacade.config.disable_flash_attention()
    try:
        assert kfacade.config.is_flash_attention_enabled() is False
        assert_close(ops.dot_product_attention(Q, K, V, is_causal=True), fused, rtol=1e-5, atol=1e-5)
    finally:
        kfacade.config.enable_flash_attention()
    assert kfacade.config.is_flash_attention_enabled() is None


def test_flash_attention_true_refuses_a_bias():
    with pytest.raises(ValueError, match="flash_attention=True"):
        ops.dot_product_attention(Q, K, V, bias=BIAS, flash_attention=True)


@pytest.mark.parametrize("args, message", [
    ((Q[0], K, V), "4-D query"),
    ((Q, K, V[:, :5]), "same shape"),
    ((Q, K[..., :4], V[..., :4]), "head size"),
    ((Q[:, :, :3], K_GROUPED, V_GROUPED), "multiple of the number of key/value heads"),
])
def test_bad_shapes_name_the_problem(args, message):
    with pytest.raises(ValueError, match=message):
        ops.dot_product_attention(*args)


def test_symbolic_call_and_training():
    query = kfacade.Input((5, 4, 8))
    outputs = ops.dot_product_attention(query, query, query, is_causal=True)
    assert tuple(outputs.shape) == (None, 5, 4, 8)
    model = kfacade.Model(query, kfacade.layers.Dense(1)(kfacade.layers.Reshape((5, 32))(outputs)))
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(Q, np.ones((2, 5, 1), F32), epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
