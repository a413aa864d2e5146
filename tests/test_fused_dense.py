"""The optional ``fused_dense`` adapter hook against Dense's generic
``matmul`` + ``add``.

On an adapter with the hook (torch: ``addmm``), each case runs the layer
twice on the same inputs and weights: through the hook, then with the hook
removed. Outputs and the gradients of the inputs, kernel and bias must agree
to float32 rounding (``RTOL``/``ATOL``: the BLAS adds the bias inside its
own summation order, so results differ by a few units in the last place).
A spy proves which path ran; cases the hook must decline fall back to the
generic ops. On an adapter without the hook both runs would be the generic
path, so the comparisons are skipped there (``requires_adapter_hook``).
"""
import numpy as np
import pytest

from kfacade import layers, ops
from kfacade.backend import adapter as B
from kfacade.layers.core import dense as dense_module

try:
    from tests.helpers import requires_adapter_hook
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import requires_adapter_hook

HOOK = "fused_dense"
needs_hook = requires_adapter_hook(HOOK)
#: float32 rounding of sums of up to 24 products of unit-scale values.
RTOL, ATOL = 1e-6, 1e-6


@pytest.fixture
def hook_calls(monkeypatch):
    """A list that grows by one entry per call the hook answered."""
    calls = []
    original = getattr(B, HOOK, None)
    if original is None:
        return calls

    def spy(*args):
        result = original(*args)
        calls.append(args)
        return result

    monkeypatch.setattr(dense_module, "_fused_dense", spy)
    return calls


def _outputs_and_gradients(layer, inputs):
    """(outputs, d(sum(outputs * 1.3))/d [inputs, kernel, bias]) as NumPy."""
    from kfacade.variables import Variable

    x = Variable(inputs, trainable=True)

    def fn():
        outputs = layer(x.value)
        return ops.multiply(ops.sum(outputs), 1.3), outputs

    (_, outputs), grads = B.value_and_grad(fn, [x, layer.kernel, layer.bias])
    return [np.asarray(ops.convert_to_numpy(t)) for t in [outputs, *grads]]


def _layer(input_dim, units, activation, dtype="float32"):
    layer = layers.Dense(units, activation=activation, dtype=dtype)
    layer.build((None, input_dim))
    rng = np.random.default_rng(3)
    layer.set_weights([rng.standard_normal((input_dim, units)).astype(dtype),
                       rng.standard_normal((units,)).astype(dtype)])
    return layer


@needs_hook
@pytest.mark.parametrize("shape", [(16, 8), (1, 24), (3, 5, 8), (2, 3, 4, 8)])
@pytest.mark.parametrize("activation", [None, "relu"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_hook_equals_generic(monkeypatch, hook_calls, shape, activation, dtype):
    layer = _layer(shape[-1], 6, activation, dtype)
    inputs = np.random.default_rng(4).standard_normal(shape).astype(dtype)
    fused = _outputs_and_gradients(layer, inputs)
    assert len(hook_calls) == 1
    with monkeypatch.context() as patch:
        patch.setattr(dense_module, "_fused_dense", None)
        generic = _outputs_and_gradients(layer, inputs)
    for name, a, e in zip(["outputs", "d inputs", "d kernel", "d bias"], fused, generic):
        assert a.shape == e.shape and a.dtype == e.dtype, name
        np.testing.assert_allclose(a, e, rtol=RTOL, atol=ATOL, err_msg=name)


@needs_hook
@pytest.mark.parametrize("case", ["no_bias", "integer_inputs", "float16", "mixed_dtypes"])
def test_declined_cases_run_the_generic_ops(hook_calls, case):
    rng = np.random.default_rng(5)
    inputs = rng.standard_normal((4, 3)).astype("float32")
    if case == "no_bias":
        layer = layers.Dense(2, use_bias=False)
    elif case == "integer_inputs":
        layer, inputs = layers.Dense(2), np.arange(12, dtype="int32").reshape(4, 3)
    elif case == "float16":
        layer, inputs = layers.Dense(2, dtype="float16"), inputs.astype("float16")
    else:  # float64 inputs straight into a float32 layer's call
        layer = layers.Dense(2)
        layer.build((None, 3))
        expected = ops.convert_to_numpy(layer.call(ops.convert_to_tensor(inputs, "float64")))
        assert hook_calls == [] and expected.shape == (4, 2)
        return
    outputs = ops.convert_to_numpy(layer(inputs))
    assert outputs.shape == (4, 2)
    assert hook_calls == []


def test_dense_values_match_numpy():
    """Whichever path runs (the hook where the adapter has one), Dense is
    ``activation(inputs @ kernel + bias)``."""
    layer = _layer(5, 3, "relu")
    inputs = np.random.default_rng(6).standard_normal((7, 2, 5)).astype("float32")
    kernel, bias = layer.get_weights()
    expected = np.maximum(inputs @ kernel + bias, 0.0)
    np.testing.assert_allclose(ops.convert_to_numpy(layer(inputs)), expected, rtol=1e-5, atol=1e-6)
