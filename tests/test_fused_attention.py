"""The optional ``fused_dot_product_attention`` adapter hook against
MultiHeadAttention's generic einsum + masked softmax.

On an adapter with the hook (torch, JAX, TensorFlow), each configuration
runs twice on the same weights and inputs, through the hook and with the
hook removed; outputs and the gradients of every weight and of the query
must agree. A spy
proves which path ran; cases the hook must not take (attention scores
returned, dropout in training, several attention axes) run the generic path.
Skipped where the adapter has no hook (``requires_adapter_hook``).
"""
import numpy as np
import pytest

from kfacade import Variable, ops
from kfacade.backend import adapter as B
from kfacade.layers import MultiHeadAttention

try:
    from tests.helpers import requires_adapter_hook
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import requires_adapter_hook

HOOK = "fused_dot_product_attention"
#: torch's kernel scales the scores after the product (the generic path
#: scales the query first) and sums with its own blocking: float32 rounding
#: of values of order 1, measured up to 1.8e-6 (a kernel's gradient) on CPU.
#: JAX's XLA form and TensorFlow's matmul form matched the generic path to
#: within 1e-9 on CPU.
TOLERANCE = 1e-5
BATCH, T, S, DIM = 3, 5, 6, 8

pytestmark = requires_adapter_hook(HOOK)


def to_numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


@pytest.fixture
def hook_calls(monkeypatch):
    calls = []
    original = getattr(B, HOOK, None)
    if original is not None:
        def spy(*args, **kwargs):
            result = original(*args, **kwargs)
            calls.append(1)
            return result
        monkeypatch.setattr(B, HOOK, spy)
    return calls


def run(layer, query, value, **call_kwargs):
    """Outputs and the gradients of every trainable weight and of the query
    (held in a Variable so that each adapter's ``value_and_grad`` takes it)."""
    query = Variable(query, name="query")
    value = B.convert_to_tensor(value)
    call_kwargs = {k: B.convert_to_tensor(v) if isinstance(v, np.ndarray) else v
                   for k, v in call_kwargs.items()}
    variables = list(layer.trainable_weights) + [query]

    def loss():
        outputs = layer(query.value, value, **call_kwargs)
        outputs = outputs[0] if isinstance(outputs, tuple) else outputs
        weights = ops.arange(outputs.shape[-1], dtype="float32")
        return ops.sum(ops.multiply(ops.tanh(outputs), weights)), outputs

    (_, outputs), grads = B.value_and_grad(loss, variables)
    result = {"outputs": to_numpy(outputs), "grad/query": to_numpy(grads[-1])}
    result.update({f"grad/{i}": to_numpy(g) for i, g in enumerate(grads[:-1])})
    return result


def compare(monkeypatch, hook_calls, rng, expect_fused, layer_kwargs=None, **call_kwargs):
    layer_kwargs = {"num_heads": 2, "key_dim": 4, **(layer_kwargs or {})}
    layer = MultiHeadAttention(**layer_kwargs)
    query = rng.standard_normal((BATCH, T, DIM)).astype("float32")
    value = rng.standard_normal((BATCH, S, DIM)).astype("float32")
    layer.build(query.shape, value.shape)
    layer.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype("float32")
                       for w in layer.get_weights()])
    fused = run(layer, query, value, **call_kwargs)
    assert bool(hook_calls) == expect_fused
    monkeypatch.delattr(B, HOOK)
    reference = run(layer, query, value, **call_kwargs)
    for key in reference:
        np.testing.assert_allclose(fused[key], reference[key], rtol=TOLERANCE, atol=TOLERANCE,
                                   err_msg=key)


def padding_mask(rng, shape):
    mask = rng.uniform(size=shape) > 0.3
    mask[:, 0] = True
    return mask


@pytest.mark.parametrize("training", [False, True])
def test_fused_attention_equals_generic(monkeypatch, hook_calls, rng, training):
    compare(monkeypatch, hook_calls, rng, True, training=training)


def test_fused_attention_with_inference_dropout(monkeypatch, hook_calls, rng):
    compare(monkeypatch, hook_calls, rng, True, {"dropout": 0.5}, training=False)


def test_fused_attention_with_masks(monkeypatch, hook_calls, rng):
    attention_mask = rng.uniform(size=(BATCH, T, S)) > 0.4
    attention_mask[0, 1] = False  # a query row with no attended key: zeros
    compare(monkeypatch, hook_calls, rng, True, attention_mask=attention_mask)


def test_fused_attention_with_query_value_masks_and_causal(monkeypatch, hook_calls, rng):
    compare(monkeypatch, hook_calls, rng, True, query_mask=padding_mask(rng, (BATCH, T)),
            value_mask=padding_mask(rng, (BATCH, S)), use_causal_mask=True)


def test_fused_attention_with_value_dim_and_output_shape(monkeypatch, hook_calls, rng):
    # jax.nn.dot_product_attention needs value_dim == key_dim: JAX's hook declines.
    compare(monkeypatch, hook_calls, rng, B.name != "jax",
            {"value_dim": 3, "output_shape": (7,), "use_bias": False})


@pytest.mark.parametrize("layer_kwargs,call_kwargs", [
    ({}, {"return_attention_scores": True}),
    ({"dropout": 0.5, "seed": 1}, {"training": True}),
], ids=["scores", "dropout"])
def test_generic_path_when_hook_must_not_run(monkeypatch, hook_calls, rng, layer_kwargs,
                                             call_kwargs):
    if "dropout" in layer_kwargs:  # random weights: only check that the hook did not run
        layer = MultiHeadAttention(num_heads=2, key_dim=4, **layer_kwargs)
        x = B.convert_to_tensor(rng.standard_normal((BATCH, T, DIM)).astype("float32"))
        layer(x, x, **call_kwargs)
        assert not hook_calls
        return
    compare(monkeypatch, hook_calls, rng, False, layer_kwargs, **call_kwargs)


def test_subclass_overriding_attention_keeps_its_override(hook_calls, rng):
    class Custom(MultiHeadAttention):
        def _compute_attention(self, query, key, value, attention_mask=None, training=None):
            outputs, scores = super()._compute_attention(query, key, value, attention_mask,
                                                         training)
            return ops.zeros_like(outputs), scores

    layer = Custom(num_heads=2, key_dim=4, use_bias=False)
    x = B.convert_to_tensor(rng.standard_normal((BATCH, T, DIM)).astype("float32"))
    outputs = layer(x, x)
    assert not hook_calls
    np.testing.assert_array_equal(to_numpy(outputs), 0.0)
