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

#: How close the hook's losses and gradients are to the generic path's, per
#: adapter. torch's ``nll_loss`` picks and negates exactly as the generic
#: gather (bit for bit). TensorFlow's ``SparseSoftmaxCrossEntropyWithLogits``
#: computes ``log(sum(exp(x - max))) - (x[label] - max)`` and ``softmax -
#: one_hot`` in its own order: a few float32 ulps (measured 9.7e-8 relative,
#: 3e-8 absolute), within the contract's relative 1e-6; the absolute part
#: covers gradient entries near zero.
BOUNDS = {"torch": dict(rtol=0, atol=0), "tensorflow": dict(rtol=1e-6, atol=1e-7)}
#: Adapters whose hook takes logits only (probabilities: the generic ops).
LOGITS_ONLY = ("tensorflow",)


def _assert_close(fused, generic):
    np.testing.assert_allclose(fused, generic, **BOUNDS.get(B.name, dict(rtol=1e-6, atol=1e-7)))


def _answered_calls(monkeypatch, hook):
    """A list that grows by one entry per call the adapter's `hook` answered
    (a declined call raises and adds nothing); ``kfacade.ops.nn`` keeps the
    hook it looked up as ``_<hook>``."""
    calls = []
    original = getattr(B, hook, None)
    if original is None:
        return calls

    def spy(*args, **kwargs):
        result = original(*args, **kwargs)
        calls.append(args)
        return result

    monkeypatch.setattr(nn_ops, f"_{hook}", spy)
    return calls


@pytest.fixture
def hook_calls(monkeypatch):
    return _answered_calls(monkeypatch, HOOK)


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
    assert len(hook_calls) == (0 if not from_logits and B.name in LOGITS_ONLY else 1)
    generic = _generic(monkeypatch, labels, outputs, from_logits)
    _assert_close(fused[0], generic[0])
    _assert_close(fused[1], generic[1])


#: Adapters whose generic gather, and so the hook, takes any label modulo the
#: classes; elsewhere (TensorFlow) a negative label counts once from the end
#: and one still out of range is an error in both paths.
WRAPS_ANY_LABEL = ("torch",)


@needs_hook
def test_labels_out_of_range_read_as_the_generic_path(monkeypatch, hook_calls):
    """Negative labels count from the end in both paths, and larger ones wrap
    (modulo the classes) where the generic gather wraps them; ``fit``
    refuses such labels before any step."""
    rng = np.random.default_rng(1)
    outputs = rng.standard_normal((12, 4)).astype("float32")
    labels = np.array([-13, -9, -5, -4, -1, 0, 3, 4, 7, 13, -2, 9], "int64")
    if B.name not in WRAPS_ANY_LABEL:
        labels = np.array([-4, -3, -2, -1, 0, 1, 2, 3, -1, 0, -2, 3], "int64")
    fused = _losses_and_gradient(labels, outputs, True)
    assert len(hook_calls) == 1
    generic = _generic(monkeypatch, labels, outputs, True)
    _assert_close(fused[0], generic[0])
    _assert_close(fused[1], generic[1])


@needs_hook
@pytest.mark.parametrize("label", [4, -5])
def test_a_label_out_of_range_is_read_as_the_generic_gather_reads_it(monkeypatch, hook_calls,
                                                                     label):
    """Where the generic gather wraps any label, the hook gives its values;
    where it refuses one, the hook raises the same error type, naming the
    label it was left with (-5 counts once from the end: -1)."""
    outputs = np.arange(12, dtype="float32").reshape(3, 4) / 7
    labels = np.array([0, label, 1], "int64")
    if B.name in WRAPS_ANY_LABEL:
        fused = _losses_and_gradient(labels, outputs, True)
        assert len(hook_calls) == 1
        generic = _generic(monkeypatch, labels, outputs, True)
        _assert_close(fused[0], generic[0])
        _assert_close(fused[1], generic[1])
        return
    named = str(label if label >= 0 else label + 4)
    with pytest.raises(Exception, match=named) as fused:
        _losses_and_gradient(labels, outputs, True)
    with pytest.raises(Exception, match=named) as generic:
        _generic(monkeypatch, labels, outputs, True)
    assert type(fused.value) is type(generic.value)


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


# ------------------------------------------- the mean in one kernel (losses)

MEAN_HOOK = "fused_mean_sparse_categorical_crossentropy"
needs_mean_hook = requires_adapter_hook(MEAN_HOOK)


@pytest.fixture
def mean_hook_calls(monkeypatch):
    return _answered_calls(monkeypatch, MEAN_HOOK)


def _loss_and_gradient(loss, labels, outputs, sample_weight=None):
    """(loss, d(loss * 1.7)/d outputs) as NumPy for a ``Loss`` object."""
    from kfacade.variables import Variable

    variable = Variable(outputs)
    target = ops.convert_to_tensor(labels)

    def fn():
        value = loss(target, variable.value, sample_weight=sample_weight)
        return ops.multiply(value, 1.7), value

    (_, value), (gradient,) = B.value_and_grad(fn, [variable])
    return float(ops.convert_to_numpy(value)), np.asarray(ops.convert_to_numpy(gradient))


def _generic_loss(monkeypatch, loss, labels, outputs, sample_weight=None):
    """As ``_loss_and_gradient`` with both hooks removed: per-entry generic
    losses, then ``mean``."""
    with monkeypatch.context() as patch:
        patch.setattr(nn_ops, "_fused_mean_sparse_categorical_crossentropy", None)
        patch.setattr(nn_ops, "_fused_sparse_categorical_crossentropy", None)
        return _loss_and_gradient(loss, labels, outputs, sample_weight)


@needs_mean_hook
@pytest.mark.parametrize("shape", [(16, 2), (128, 10), (5, 7, 10), (4,), (3, 1, 6)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("from_logits", [True, False])
@pytest.mark.parametrize("trailing_one", [False, True])
def test_mean_hook_equals_the_mean_of_generic_losses(monkeypatch, mean_hook_calls, shape, dtype,
                                                     from_logits, trailing_one):
    """The loss within a relative 1e-6 (the hook's contract): ``nll_loss``'s
    mean sums the entries in another order than ``mean`` (measured up to
    2.3e-7 relative in float32, a few ulps); the gradient, ``-g / n`` at each
    label either way, bit for bit."""
    rng = np.random.default_rng(3)
    outputs = rng.standard_normal(shape).astype(dtype)
    if not from_logits:
        outputs = np.abs(outputs) + 0.1
    labels = rng.integers(0, shape[-1], shape[:-1]).astype("int64")
    if trailing_one:
        labels = labels[..., None]
    loss = losses.SparseCategoricalCrossentropy(from_logits=from_logits, dtype=dtype)
    fused = _loss_and_gradient(loss, labels, outputs)
    assert len(mean_hook_calls) == 1
    generic = _generic_loss(monkeypatch, loss, labels, outputs)
    np.testing.assert_allclose(fused[0], generic[0], rtol=1e-6, atol=0)
    np.testing.assert_array_equal(fused[1], generic[1])


@needs_mean_hook
def test_string_loss_in_fit_takes_the_mean_hook(mean_hook_calls):
    """``compile(loss="sparse_categorical_crossentropy")`` wraps the function,
    which carries its fused mean; fit's steps take it."""
    import kfacade

    model = kfacade.Sequential([kfacade.Input((3,)), kfacade.layers.Dense(4)])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(4).random((8, 3)).astype("float32")
    model.fit(x, np.arange(8) % 4, batch_size=4, epochs=1, verbose=0)
    assert len(mean_hook_calls) == 2


def _declined_loss_and_numpy(loss, labels, outputs, per_sample, case, sample_weight=None,
                             kept=None):
    """(the ``Loss``'s value, NumPy's from the per-sample losses) for a case a
    mean hook declines: a mask dropping rows 2 and 4, an empty batch (Keras's
    reduction returns its losses as they are), ``reduction="sum"``, sample
    weights, or else the mean over the `kept` rows (all by default)."""
    if case == "mask":
        from kfacade.engine.masks import set_keras_mask

        mask = np.array([True, True, False, True, False, True])
        tensor = ops.convert_to_tensor(outputs)
        set_keras_mask(tensor, ops.convert_to_tensor(mask))
        return float(ops.convert_to_numpy(loss(ops.convert_to_tensor(labels), tensor))), \
            per_sample[mask].mean()
    if case == "empty":
        return np.asarray(ops.convert_to_numpy(loss(labels, outputs))), per_sample
    value = float(ops.convert_to_numpy(loss(labels, outputs, sample_weight=sample_weight)))
    if case == "sample_weight":
        return value, (per_sample * sample_weight).mean()
    if case == "sum":
        return value, per_sample.sum()
    return value, per_sample[kept if kept is not None else slice(None)].mean()


@needs_mean_hook
@pytest.mark.parametrize("case", ["sample_weight", "ignore_class", "sum", "mask", "empty"])
def test_mean_hook_declined_cases_reduce_the_per_entry_losses(monkeypatch, mean_hook_calls, case):
    """What the one-kernel mean cannot express runs the general reduction,
    whose value is checked against NumPy."""
    rng = np.random.default_rng(5)
    outputs = rng.standard_normal((6, 3)).astype("float32")
    labels = rng.integers(0, 3, (6,))
    kwargs, sample_weight = {}, None
    if case == "sample_weight":
        sample_weight = np.array([1.0, 0.0, 2.0, 1.0, 0.5, 1.0], "float32")
    elif case == "ignore_class":
        labels[:2] = 2
        kwargs["ignore_class"] = 2
    elif case == "sum":
        kwargs["reduction"] = "sum"
    elif case == "empty":
        outputs, labels = outputs[:0], labels[:0]
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, **kwargs)
    log_prob = outputs - np.log(np.exp(outputs).sum(-1, keepdims=True))
    per_entry = -log_prob[np.arange(len(labels)), labels]
    value, expected = _declined_loss_and_numpy(
        loss, labels, outputs, per_entry, case, sample_weight,
        kept=labels != 2 if case == "ignore_class" else None)
    assert mean_hook_calls == []
    np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-6)


# --------------------------------- binary cross-entropy of logits, one kernel

BINARY_HOOK = "fused_mean_binary_crossentropy"
needs_binary_hook = requires_adapter_hook(BINARY_HOOK)


@pytest.fixture
def binary_hook_calls(monkeypatch):
    return _answered_calls(monkeypatch, BINARY_HOOK)


def _generic_binary_loss(monkeypatch, loss, targets, outputs, sample_weight=None):
    """``_loss_and_gradient`` with the binary hook removed: per-entry generic
    losses, then the reduction."""
    with monkeypatch.context() as patch:
        patch.setattr(nn_ops, "_fused_mean_binary_crossentropy", None)
        return _loss_and_gradient(loss, targets, outputs, sample_weight)


@needs_binary_hook
@pytest.mark.parametrize("shape, axis", [((32, 1), -1), ((16,), -1), ((4, 3, 2), 1), ((5, 7), 0)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("targets", ["hard", "soft", "smoothed"])
def test_binary_hook_equals_the_mean_of_generic_losses(monkeypatch, binary_hook_calls, shape, axis,
                                                       dtype, targets):
    """The contract's bounds: the loss within a relative 1e-6 (torch sums and
    rounds ``(1 - z) * x - log_sigmoid(x)`` where the generic path has
    ``max(x, 0) - x * z + log1p(exp(-|x|))``: measured up to 2.3e-7); the
    gradient ``(sigmoid(x) - z) / n`` within 2 ulps of 1 over n (measured 1.5)."""
    rng = np.random.default_rng(7)
    outputs = (rng.standard_normal(shape) * 3).astype(dtype)
    labels = rng.integers(0, 2, shape).astype(dtype) if targets != "soft" \
        else rng.random(shape).astype(dtype)
    loss = losses.BinaryCrossentropy(from_logits=True, axis=axis, dtype=dtype,
                                     label_smoothing=0.2 if targets == "smoothed" else 0.0)
    fused = _loss_and_gradient(loss, labels, outputs)
    assert len(binary_hook_calls) == 1
    generic = _generic_binary_loss(monkeypatch, loss, labels, outputs)
    np.testing.assert_allclose(fused[0], generic[0], rtol=1e-6, atol=0)
    ulp = np.finfo(dtype).eps
    np.testing.assert_allclose(fused[1], generic[1], rtol=0, atol=1.7 * 2 * ulp / outputs.size)


@needs_binary_hook
def test_binary_hook_saturated_logits_differ_by_at_most_their_losses(monkeypatch, binary_hook_calls):
    """Every logit far on its label's side: each generic loss is ``exp(-|x|)``
    (about 1e-9 at 20), which torch's formula cancels to 0. The contract
    bounds the difference by those losses; both are 0 to float32 rounding of
    the logits."""
    outputs = np.array([[20.0], [-20.0], [18.0], [-25.0]], "float32")
    labels = np.array([[1.0], [0.0], [1.0], [0.0]], "float32")
    loss = losses.BinaryCrossentropy(from_logits=True)
    fused = _loss_and_gradient(loss, labels, outputs)
    generic = _generic_binary_loss(monkeypatch, loss, labels, outputs)
    assert len(binary_hook_calls) == 1
    largest = float(np.max(np.log1p(np.exp(-np.abs(outputs.astype("float64"))))))
    assert abs(fused[0] - generic[0]) <= largest
    np.testing.assert_allclose(fused[1], generic[1], rtol=0, atol=2 * 1.7 * largest)


@needs_binary_hook
def test_binary_loss_in_fit_takes_the_hook(binary_hook_calls):
    import kfacade

    model = kfacade.Sequential([kfacade.Input((3,)), kfacade.layers.Dense(1)])
    model.compile(optimizer="sgd", loss=kfacade.losses.BinaryCrossentropy(from_logits=True))
    rng = np.random.default_rng(8)
    model.fit(rng.random((8, 3)).astype("float32"), rng.integers(0, 2, (8, 1)), batch_size=4,
              epochs=1, verbose=0)
    assert len(binary_hook_calls) == 2


@needs_binary_hook
@pytest.mark.parametrize("case", ["probabilities", "sample_weight", "sum", "mask", "empty",
                                  "broadcast"])
def test_binary_hook_declined_cases_reduce_the_per_entry_losses(binary_hook_calls, case):
    """What the one-kernel mean of logits cannot express runs the general
    reduction, checked against NumPy."""
    rng = np.random.default_rng(9)
    outputs = rng.standard_normal((6, 2)).astype("float32")
    labels = rng.integers(0, 2, (6, 2)).astype("float32")
    kwargs, sample_weight, from_logits = {}, None, True
    if case == "probabilities":
        outputs, from_logits = 1 / (1 + np.exp(-outputs)), False
    elif case == "sample_weight":
        sample_weight = np.array([1.0, 0.0, 2.0, 1.0, 0.5, 1.0], "float32")
    elif case == "sum":
        kwargs["reduction"] = "sum"
    elif case == "empty":
        outputs, labels = outputs[:0], labels[:0]
    elif case == "broadcast":  # one target per row against two logits: the generic ops broadcast
        labels = labels[:, :1]
    loss = losses.BinaryCrossentropy(from_logits=from_logits, **kwargs)
    logits = outputs if from_logits else np.log(outputs / (1 - outputs))
    per_entry = (np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits))))
    value, expected = _declined_loss_and_numpy(loss, labels, outputs, per_entry.mean(-1), case,
                                               sample_weight)
    assert binary_hook_calls == []
    np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-6)


@needs_binary_hook
def test_binary_hook_leaves_an_axis_the_outputs_lack_to_the_generic_error(monkeypatch,
                                                                          binary_hook_calls):
    """An out-of-range axis gets the generic path's error, not a fused mean
    that would never read the axis."""
    loss = losses.BinaryCrossentropy(from_logits=True, axis=2)
    zeros = np.zeros((4, 1), "float32")
    with monkeypatch.context() as patch:
        patch.setattr(nn_ops, "_fused_mean_binary_crossentropy", None)
        with pytest.raises(Exception) as generic:
            loss(zeros, zeros)
    with pytest.raises(type(generic.value)):
        loss(zeros, zeros)
    assert binary_hook_calls == []
