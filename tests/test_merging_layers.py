"""Merging layers against NumPy references, Keras 3's broadcasting, masks and errors.

Runs on the active backend (``KERAS_BACKEND``). Inputs are standard normal
float32; every reference is a handful of float32 operations, so results
agree within 1e-5.
"""
import numpy as np
import pytest

import kfacade
from kfacade import ops
from kfacade.layers.core.embedding import Embedding
from kfacade.layers.layer import Layer
from kfacade.layers.merging import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)

try:
    from tests.helpers import assert_close
    from tests.layer_testing import run_layer_test
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import assert_close
    from layer_testing import run_layer_test


def normal(rng, *shape):
    return rng.standard_normal(shape).astype("float32")


def to_numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


def expand_to_rank(xs):
    """Keras's rule for inputs of different ranks: size-1 axes after the batch axis."""
    rank = max(x.ndim for x in xs)
    return [x.reshape(x.shape[:1] + (1,) * (rank - x.ndim) + x.shape[1:]) for x in xs]


NUMPY_MERGES = {
    Add: lambda xs: sum(xs[1:], xs[0]),
    Multiply: lambda xs: np.prod(np.broadcast_arrays(*xs), axis=0),
    Average: lambda xs: sum(xs[1:], xs[0]) / len(xs),
    Maximum: lambda xs: np.max(np.broadcast_arrays(*xs), axis=0),
    Minimum: lambda xs: np.min(np.broadcast_arrays(*xs), axis=0),
}

SHAPES = [  # input shapes: equal, broadcast within a rank, lower ranks, three inputs
    [(2, 3, 4), (2, 3, 4)],
    [(2, 1, 4), (2, 3, 1)],
    [(2, 3, 4), (2, 4)],
    [(2, 5), (2, 3, 1, 5)],
    [(2, 3), (2, 3), (2, 1)],
]


# ----------------------------------------------------------------- forward


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("layer_cls", list(NUMPY_MERGES), ids=lambda c: c.__name__)
def test_elementwise_merges_match_numpy_with_broadcasting(layer_cls, shapes, rng):
    xs = [normal(rng, *s) for s in shapes]
    layer = layer_cls()
    output = layer(xs)
    expected = NUMPY_MERGES[layer_cls](expand_to_rank(xs))
    assert_close(output, expected)
    assert layer.compute_output_shape(shapes) == expected.shape
    assert layer.compute_output_shape([(None,) + s[1:] for s in shapes]) == (None,) + expected.shape[1:]


def test_subtract_and_functional_forms_match_numpy(rng):
    x, y = normal(rng, 2, 3), normal(rng, 2, 3)
    assert_close(Subtract()([x, y]), x - y)
    for function, expected in [(add, x + y), (subtract, x - y), (multiply, x * y),
                               (average, (x + y) / 2), (maximum, np.maximum(x, y)),
                               (minimum, np.minimum(x, y)),
                               (lambda xs: concatenate(xs, axis=0), np.concatenate([x, y], 0))]:
        assert_close(function([x, y]), expected)
    assert_close(dot([x, y], axes=1), np.sum(x * y, axis=1, keepdims=True))
    assert_close(dot([x, y], axes=1, normalize=True),
                 np.sum(x * y, 1, keepdims=True)
                 / np.linalg.norm(x, axis=1, keepdims=True) / np.linalg.norm(y, axis=1, keepdims=True))


@pytest.mark.parametrize("axis,shapes", [
    (-1, [(2, 3, 4), (2, 3, 1), (2, 3, 2)]),
    (1, [(2, 3, 4), (2, 1, 4)]),
    (0, [(2, 3), (1, 3)]),
    (-2, [(2, 2, 3, 4), (2, 2, 5, 4)]),
], ids=str)
def test_concatenate_matches_numpy(axis, shapes, rng):
    xs = [normal(rng, *s) for s in shapes]
    layer = Concatenate(axis=axis)
    expected = np.concatenate(xs, axis=axis)
    assert_close(layer(xs), expected)
    assert layer.compute_output_shape(shapes) == expected.shape


def numpy_batch_dot(x, y, axes, normalize):
    a1, a2 = (axes, axes) if isinstance(axes, int) else axes
    a1, a2 = a1 % x.ndim, a2 % y.ndim
    if normalize:
        x = x / np.sqrt(np.maximum(np.sum(x * x, axis=a1, keepdims=True), 1e-12))
        y = y / np.sqrt(np.maximum(np.sum(y * y, axis=a2, keepdims=True), 1e-12))
    out = np.stack([np.tensordot(x[b], y[b], axes=(a1 - 1, a2 - 1)) for b in range(len(x))])
    return out.reshape(len(x), 1) if out.ndim == 1 else out


@pytest.mark.parametrize("shape1,shape2,axes,normalize", [
    ((2, 3), (2, 3), 1, False),
    ((2, 3), (2, 3), -1, True),
    ((2, 3, 5), (2, 10, 3), (1, 2), False),
    ((2, 3, 4), (2, 3, 4), -1, True),
    ((2, 3, 4), (2, 5, 4), [2, 2], False),
    ((2, 3, 4, 5), (2, 4, 6), (2, 1), True),
    ((2, 4), (2, 3, 4), (1, 2), False),
    ((2, 3, 4), (2, 4), (2, 1), True),
], ids=str)
def test_dot_matches_numpy(shape1, shape2, axes, normalize, rng):
    x, y = normal(rng, *shape1), normal(rng, *shape2)
    layer = Dot(axes=axes, normalize=normalize)
    expected = numpy_batch_dot(x, y, axes, normalize)
    assert_close(layer([x, y]), expected)
    assert layer.compute_output_shape([shape1, shape2]) == expected.shape


# ------------------------------------------------------------------- masks


def numpy_masked_extreme(xs, masks, fn):
    """Keras 3's Maximum/Minimum with masks: a masked entry takes the other operand."""
    output, output_mask = None, None
    for x, m in zip(xs, masks):
        m = None if m is None else np.broadcast_to(m[..., None], x.shape)
        if output is None:
            output, output_mask = x, m
            continue
        if m is not None:
            x = np.where(m, x, output)
        if output_mask is not None:
            output = np.where(output_mask, output, x)
        output_mask = output_mask | m if (m is not None and output_mask is not None) else None
        output = fn(output, x)
    return output


def numpy_masked_multiply(xs, masks):
    """Keras 3's Multiply with masks: masked entries count as 1; all-masked gives 0."""
    all_masked = all(m is not None for m in masks)
    output, output_mask = None, None
    for x, m in zip(xs, masks):
        if m is not None:
            m = np.broadcast_to(m[..., None], x.shape)
            x = np.where(m, x, 1.0)
            if all_masked:
                output_mask = m if output_mask is None else output_mask | m
        output = x if output is None else output * x
    return np.where(output_mask, output, 0.0) if all_masked else output


MASK_A = np.array([[1, 1, 0], [1, 0, 0]], bool)
MASK_B = np.array([[1, 0, 0], [0, 1, 1]], bool)


@pytest.mark.parametrize("masks", [(MASK_A, MASK_B), (MASK_A, None), (None, MASK_B)],
                         ids=["both", "first", "second"])
@pytest.mark.parametrize("layer_cls,reference", [
    (Maximum, lambda xs, ms: numpy_masked_extreme(xs, ms, np.maximum)),
    (Minimum, lambda xs, ms: numpy_masked_extreme(xs, ms, np.minimum)),
    (Multiply, numpy_masked_multiply),
    (Add, lambda xs, ms: xs[0] + xs[1]),  # Add and Average ignore masks in their values
    (Average, lambda xs, ms: (xs[0] + xs[1]) / 2),
], ids=lambda v: getattr(v, "__name__", ""))
def test_masked_merge_values_follow_keras(layer_cls, reference, masks, rng):
    xs = [normal(rng, 2, 3, 4), normal(rng, 2, 3, 4)]
    native_masks = [None if m is None else ops.convert_to_tensor(m) for m in masks]
    assert_close(layer_cls()(xs, mask=native_masks), reference(xs, masks))


def test_compute_mask_is_the_or_of_masks_or_none():
    xs = [np.zeros((2, 3, 4), "float32")] * 2
    masks = [ops.convert_to_tensor(MASK_A), ops.convert_to_tensor(MASK_B)]
    np.testing.assert_array_equal(to_numpy(Add().compute_mask(xs, masks)), MASK_A | MASK_B)
    assert Add().compute_mask(xs, [masks[0], None]) is None
    assert Add().compute_mask(xs, None) is None
    assert Dot(axes=2).compute_mask(xs, masks) is None
    with pytest.raises(ValueError, match="same length"):
        Add().compute_mask(xs, masks[:1])


@pytest.mark.parametrize("axis,shapes,masks,expected", [
    # Along the features: one mask per step, True where any input keeps it
    # (an input without a mask counts as all-True).
    (-1, [(2, 3, 4), (2, 3, 2)], [MASK_A, None], np.ones((2, 3), bool)),
    (-1, [(2, 3, 4), (2, 3, 2)], [MASK_A, MASK_B], MASK_A | MASK_B),
    # Along the steps: the masks are concatenated.
    (1, [(2, 3, 4), (2, 3, 4)], [MASK_A, MASK_B], np.concatenate([MASK_A, MASK_B], 1)),
    (1, [(2, 3, 4), (2, 3, 4)], [None, MASK_B], np.concatenate([np.ones((2, 3), bool), MASK_B], 1)),
], ids=["features-one", "features-both", "steps-both", "steps-second"])
def test_concatenate_mask(axis, shapes, masks, expected):
    xs = [np.zeros(s, "float32") for s in shapes]
    native = [None if m is None else ops.convert_to_tensor(m) for m in masks]
    np.testing.assert_array_equal(to_numpy(Concatenate(axis=axis).compute_mask(xs, native)), expected)
    assert Concatenate().compute_mask(xs, [None, None]) is None


class MaskProbe(Layer):
    """Identity that records the mask it is called with."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.seen = []

    def call(self, inputs, mask=None):
        self.seen.append(None if mask is None else to_numpy(mask))
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


def test_masks_travel_through_merges_in_a_model():
    a, b = kfacade.Input((3,), dtype="int32"), kfacade.Input((3,), dtype="int32")
    embedding = Embedding(5, 4, mask_zero=True)
    ea, eb = embedding(a), embedding(b)
    summed = Add()([ea, eb])
    joined = Concatenate(axis=1)([ea, eb])
    assert summed._keras_mask.shape == (None, 3)
    assert joined._keras_mask.shape == (None, 6)
    probe_sum, probe_join = MaskProbe(), MaskProbe()
    model = kfacade.Model([a, b], [probe_sum(summed), probe_join(joined)])
    ia, ib = np.array([[1, 2, 0], [0, 0, 3]]), np.array([[1, 0, 0], [0, 4, 4]])
    outputs = model([ia, ib])
    assert [tuple(ops.shape(o)) for o in outputs] == [(2, 3, 4), (2, 6, 4)]
    np.testing.assert_array_equal(probe_sum.seen[-1], (ia != 0) | (ib != 0))
    np.testing.assert_array_equal(probe_join.seen[-1], np.concatenate([ia != 0, ib != 0], 1))


# ------------------------------------------------------- run_layer_test


@pytest.mark.parametrize("layer_cls,kwargs,shapes,expected", [
    (Add, {}, [(2, 3, 4), (2, 3, 4)], (2, 3, 4)),
    (Subtract, {}, [(2, 3), (2, 3)], (2, 3)),
    (Multiply, {}, [(2, 1, 4), (2, 3, 4)], (2, 3, 4)),
    (Average, {}, [(2, 4), (2, 4), (2, 4)], (2, 4)),
    (Maximum, {}, [(2, 3, 4), (2, 4)], (2, 3, 4)),
    (Minimum, {}, [(2, 4), (2, 4)], (2, 4)),
    (Concatenate, {"axis": 1}, [(2, 3, 4), (2, 2, 4)], (2, 5, 4)),
    (Dot, {"axes": (1, 2), "normalize": True}, [(2, 3, 5), (2, 4, 3)], (2, 5, 4)),
], ids=lambda v: getattr(v, "__name__", None))
def test_run_layer_test(layer_cls, kwargs, shapes, expected):
    run_layer_test(layer_cls, kwargs, input_shape=shapes, expected_output_shape=expected,
                   expected_num_trainable_weights=0, supports_masking=True)


def test_functional_forms_build_symbolic_graphs():
    x, y = kfacade.Input((3, 4)), kfacade.Input((3, 4))
    assert add([x, y]).shape == (None, 3, 4)
    assert concatenate([x, y], axis=1).shape == (None, 6, 4)
    assert dot([x, y], axes=2).shape == (None, 3, 3)
    assert dot([x, y], axes=(1, 1)).shape == (None, 4, 4)
    assert Add()([kfacade.Input((3, 4)), kfacade.Input((4,))]).shape == (None, 3, 4)


def test_configs_round_trip():
    for layer in [Concatenate(axis=1, name="cat"), Dot(axes=[1, 2], normalize=True), Add()]:
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config
    assert Concatenate(axis=1).get_config()["axis"] == 1
    assert Dot(axes=2).get_config()["axes"] == 2


# ------------------------------------------------------------------ errors


def test_concatenate_incompatible_shapes_names_the_shapes():
    x, y = np.zeros((2, 3, 4), "float32"), np.zeros((2, 4, 5), "float32")
    message = (r"A `Concatenate` layer requires inputs with matching shapes except for the "
               r"concatenation axis. Received: input_shape=\[\(2, 3, 4\), \(2, 4, 5\)\]")
    with pytest.raises(ValueError, match=message):
        Concatenate()([x, y])
    with pytest.raises(ValueError, match="matching shapes"):
        Concatenate(axis=1)([kfacade.Input((3, 4)), kfacade.Input((3, 5))])
    with pytest.raises(ValueError, match="matching shapes"):
        Concatenate()([np.zeros((2, 3), "float32"), np.zeros((2, 3, 1), "float32")])


def test_merge_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"incompatible shapes.*\(3, 4\) and \(3, 5\)"):
        Add()([np.zeros((2, 3, 4), "float32"), np.zeros((2, 3, 5), "float32")])
    with pytest.raises(ValueError, match="different batch sizes"):
        Add()([np.zeros((2, 3), "float32"), np.zeros((3, 3), "float32")])
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        Subtract()([np.zeros((2, 3), "float32")] * 3)
    with pytest.raises(ValueError, match="list of inputs"):
        Add()(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="list of inputs"):
        Maximum()(kfacade.Input((3,)))


def test_dot_errors():
    with pytest.raises(ValueError, match=r"axis values 3 \(at axis 1\) != 4 \(at axis 1\)"):
        Dot(axes=1)([np.zeros((2, 3), "float32"), np.zeros((2, 4), "float32")])
    with pytest.raises(ValueError, match="axis 0"):
        Dot(axes=0)([np.zeros((2, 3), "float32"), np.zeros((2, 3), "float32")])
    with pytest.raises(ValueError, match="list of 2 inputs"):
        Dot(axes=1)([np.zeros((2, 3), "float32")] * 3)
    with pytest.raises(ValueError, match="two elements"):
        Dot(axes=(1, 2, 3))
    with pytest.raises(TypeError, match="axes"):
        Dot(axes="last")
