"""The optional ``fused_sparse_categorical_crossentropy`` adapter hook against
the generic ``kfacade.ops.sparse_categorical_crossentropy``.

On an adapter with the hook (torch), each case runs twice on the same
labels and outputs: through the hook, then with the hook removed (the
generic ``log_softmax`` / ``take_along_axis`` ops). Losses and the gradient
of the outputs must be equal bit for bit (the hook's contract asks for
float32 rounding; torch's ``nll_loss`` picks and negates exactly as the
generic gather). A spy proves which path ran; cases the hook must decline
fall back to the generic ops, whose errors still reach the user. On an
adapter without the hook both runs would be the generic path, so the
comparisons are skipped there (``requires_adapter_hook``).
"""
import numpy as np
import pytest

from kfacade import losses, ops
from kfacade.backend import adapter as B
from kfacade.ops import nn as nn_ops

try:
    from tests.helpers import requires_adapter_hook
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import requires_adapter_hook

HOOK = "fused_sparse_categorical_crossentropy"
needs_hook = requires_adapter_hook(HOOK)


@pytest.fixture
def hook_calls(monkeypatch):
    """A list that grows by one entry per call the hook answered."""
    calls = []
    original = getattr(B, HOOK, None)
    if original is None:
        return calls

    def spy(*args, **kwargs):
        result = original(*args, **kwargs)
        calls.append(args)
        return result

    monkeypatch.setattr(nn_ops, "_fused_sparse_categorical_crossentropy", spy)
    return calls


def _losses_and_gradient(labels, outputs, from_logits):
    """(losses, d(sum(losses * 1.7))/d outputs) as NumPy, differentiated by the adapter."""
    target = ops.convert_to_tensor(labels)

    def fn():
        values = ops.sparse_categorical_crossentropy(target, variable.value, from_logits=from_logits)
        return ops.multiply(ops.sum(values), 1.7), values

    from kfacade.variables import Variable

    variable = Variable(outputs)
    (_, values), (gradient,) = B.value_and_grad(fn, [variable])
    return np.asarray(ops.convert_to_numpy(values)), np.asarray(ops.convert_to_numpy(gradient))


def _generic(monkeypatch, labels, outputs, from_logits):
    with monkeypatch.context() as patch:
        patch.setattr(nn_ops, "_fused_sparse_categorical_crossentropy", None)
        return _losses_and_gradient(labels, outputs, from_logits)


@needs_hook
@pytest.mark.parametrize("shape", [(16, 2), (5, 7, 10), (4,), (3, 1, 6)])
@pytest.mark.parametrize("label_dtype", ["int64", "int32", "uint8", "float32"])
@pytest.mark.parametrize("from_logits", [True, False])
@pytest.mark.parametrize("trailing_one", [False, True])
def test_hook_equals_generic(monkeypatch, hook_calls, shape, label_dtype, from_logits, trailing_one):
    rng = np.random.default_rng(0)
    outputs = rng.standard_normal(shape).astype("float32")
    if not from_logits:
        outputs = np.abs(outputs) + 0.1
    labels = rng.integers(0, shape[-1], shape[:-1]).astype(label_dtype)
    if trailing_one:
        labels = labels[..., None]
    fused = _losses_and_gradient(labels, outputs, from_logits)
    assert len(hook_calls) == 1
    generic = _generic(monkeypatch, labels, outputs, from_logits)
    np.testing.assert_array_equal(fused[0], generic[0])
    np.testing.assert_array_equal(fused[1], generic[1])


@needs_hook
def test_labels_out_of_range_wrap_as_the_generic_path(monkeypatch, hook_calls):
    """Negative labels count from the end and larger ones wrap (modulo the
    classes), in both paths; ``fit`` refuses such labels before any step."""
    rng = np.random.default_rng(1)
    outputs = rng.standard_normal((12, 4)).astype("float32")
    labels = np.array([-13, -9, -5, -4, -1, 0, 3, 4, 7, 13, -2, 9], "int64")
    fused = _losses_and_gradient(labels, outputs, True)
    assert len(hook_calls) == 1
    generic = _generic(monkeypatch, labels, outputs, True)
    np.testing.assert_array_equal(fused[0], generic[0])
    np.testing.assert_array_equal(fused[1], generic[1])


@needs_hook
@pytest.mark.parametrize("case", ["class_axis_first", "float16", "bool_labels", "broadcast_labels"])
def test_declined_cases_run_the_generic_ops(hook_calls, case):
    rng = np.random.default_rng(2)
    outputs = rng.standard_normal((6, 3)).astype("float32")
    labels = rng.integers(0, 3, (6,))
    kwargs = {}
    if case == "class_axis_first":
        outputs, kwargs = outputs.T.copy(), {"axis": 0}  # 3 classes (axis 0) of 6 samples
    elif case == "float16":
        outputs = outputs.astype("float16")
    elif case == "bool_labels":
        labels = labels > 0
    else:  # one label per sample for outputs with a time axis
        outputs = rng.standard_normal((6, 2, 3)).astype("float32")
        labels = labels[:, None]
    ops.sparse_categorical_crossentropy(ops.convert_to_tensor(labels), ops.convert_to_tensor(outputs),
                                        from_logits=True, **kwargs)
    assert hook_calls == []


def test_integer_labels_reach_the_loss_function_as_integers():
    """Sparse cross-entropy's labels skip Keras's cast to the loss's float
    dtype when they are integers (float32 rounds labels above 2**24); float
    labels are still cast, and both give the same loss."""
    seen = []

    def fn(y_true, y_pred):
        seen.append(ops.dtype(y_true))
        return losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)

    fn._integer_targets = True
    outputs = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]], "float32")
    by_integers = losses.LossFunctionWrapper(fn)(np.array([0, 2], "int64"), outputs)
    by_floats = losses.LossFunctionWrapper(fn)(np.array([0.0, 2.0]), outputs)
    assert seen[0].startswith("int") and seen[1] == "float32"  # JAX without x64: int32
    assert float(ops.convert_to_numpy(by_integers)) == float(ops.convert_to_numpy(by_floats))
    assert losses.sparse_categorical_crossentropy._integer_targets
