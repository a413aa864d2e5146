"""Scatters, segment reductions, slice updates, control flow and bitwise ops
of ``kfacade.ops`` on the active backend, against NumPy, eagerly and inside
a compiled training step (``jax.jit``, ``tf.function``, torch eager)."""
import numpy as np
import pytest

import kfacade
from kfacade import ops

try:
    from tests.helpers import assert_close
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import assert_close

F32 = np.float32


def numpy_of(x):
    return np.asarray(ops.convert_to_numpy(x))


# ----------------------------------------------------------------- scatter


def _scatter_reference(inputs, indices, updates, reduction):
    out = inputs.astype(np.float64).copy()
    for index, update in zip(map(tuple, indices), updates):
        if reduction is None:
            out[index] = update
        elif reduction == "add":
            out[index] += update
        elif reduction == "mul":
            out[index] *= update
        elif reduction == "max":
            out[index] = np.maximum(out[index], update)
        else:
            out[index] = np.minimum(out[index], update)
    return out.astype(inputs.dtype)


@pytest.mark.parametrize("reduction", [None, "add", "mul", "max", "min"])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_scatter_update_matches_numpy(reduction, k):
    rng = np.random.default_rng(k)
    inputs = rng.uniform(-2, 2, (4, 3, 2)).astype(F32)
    # Repeated positions only where the reduction defines their combination.
    count = 5 if reduction is not None else 3
    positions = rng.choice(np.prod(inputs.shape[:k]), size=count, replace=reduction is not None)
    indices = np.stack(np.unravel_index(positions, inputs.shape[:k]), axis=-1).astype(np.int32)
    updates = rng.uniform(-2, 2, (count,) + inputs.shape[k:]).astype(F32)
    result = ops.scatter_update(inputs, indices, updates, reduction=reduction)
    assert ops.dtype(result) == "float32"
    assert_close(result, _scatter_reference(inputs, indices, updates, reduction))


def test_scatter_sums_repeated_indices():
    result = ops.scatter([[0, 1], [2, 2], [0, 1]], np.array([1.0, 2.0, 3.0], F32), (3, 3))
    expected = np.zeros((3, 3), F32)
    expected[0, 1], expected[2, 2] = 4.0, 2.0
    assert_close(result, expected)


@pytest.mark.parametrize("call, message", [
    (lambda: ops.scatter_update(np.zeros((3, 2), F32), [[0]], np.ones((2, 2), F32)), r"`updates` must have shape \(1, 2\)"),
    (lambda: ops.scatter_update(np.zeros((3, 2), F32), [0, 1], np.ones(2, F32)), r"`indices` must have shape \(num_updates, k\)"),
    (lambda: ops.scatter_update(np.zeros(3, F32), [[0]], np.ones(1, F32), reduction="mean"), "Invalid reduction: mean"),
    (lambda: ops.scatter([[0, 0, 0]], np.ones(1, F32), (2, 2)), "k <= 2"),
    (lambda: ops.slice_update(np.zeros((3, 3), F32), (2, 0), np.ones((2, 2), F32)), "do not fit"),
    (lambda: ops.slice_update(np.zeros((3, 3), F32), (0,), np.ones((2, 2), F32)), "must match the rank"),
    (lambda: ops.segment_sum(np.ones(3, F32), np.array([0, 1, 5]), num_segments=3), r"segment_ids must lie in \[0, num_segments=3\)"),
    (lambda: ops.segment_sum(np.ones(3, F32), np.array([0, 1])), "one id per row"),
])
def test_bad_arguments_name_the_problem(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_slice_update_writes_the_block():
    inputs = np.arange(20, dtype=F32).reshape(4, 5)
    updates = -np.ones((2, 3), F32)
    expected = inputs.copy()
    expected[1:3, 2:5] = updates
    assert_close(ops.slice_update(inputs, (1, 2), updates), expected)
    assert_close(ops.slice_update(inputs, np.array([1, 2]), updates), expected)


# ---------------------------------------------------------------- segments


@pytest.mark.parametrize("reduction", ["sum", "prod", "max", "min"])
def test_segment_reductions_match_numpy(reduction):
    rng = np.random.default_rng(3)
    data = rng.uniform(-2, 2, (7, 3)).astype(F32)
    ids = np.array([3, 0, 3, 1, 0, 3, 1], np.int32)  # segment 2 and 4 are empty
    lowest, highest = np.finfo(F32).min, np.finfo(F32).max
    empty = {"sum": 0.0, "prod": 1.0, "max": lowest, "min": highest}[reduction]
    combine = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min}[reduction]
    expected = np.array([combine(data[ids == s].astype(np.float64), axis=0) if (ids == s).any()
                         else np.full(3, empty) for s in range(5)]).astype(F32)
    result = getattr(ops, f"segment_{reduction}")(data, ids, num_segments=5)
    assert ops.dtype(result) == "float32"
    assert_close(result, expected, rtol=1e-5, atol=1e-5)


def test_segment_sum_counts_segments_from_the_ids():
    result = ops.segment_sum(np.array([1.0, 2.0, 4.0], F32), np.array([1, 1, 0]))
    assert_close(result, np.array([4.0, 3.0], F32))


# ------------------------------------------------------------ control flow


def test_control_flow_eagerly():
    assert float(numpy_of(ops.fori_loop(0, 5, lambda i, v: ops.add(v, ops.cast(i, "float32")), 0.0))) == 10.0
    count, value = ops.while_loop(lambda a, b: ops.less(a, 10), lambda a, b: (ops.add(a, 1), ops.multiply(b, 2.0)),
                                  (0, 1.0), maximum_iterations=4)
    assert (int(numpy_of(count)), float(numpy_of(value))) == (4, 16.0)
    single = ops.while_loop(lambda a: ops.less(a, 7.0), lambda a: ops.add(a, 2.0), 0.0)
    assert float(numpy_of(single)) == 8.0
    branches = [lambda a: ops.add(a, 1.0), lambda a: ops.multiply(a, 10.0), lambda a: ops.negative(a)]
    assert [float(numpy_of(ops.switch(i, branches, 3.0))) for i in (-1, 0, 1, 2, 7)] == [4.0, 4.0, 30.0, -3.0, -3.0]
    assert float(numpy_of(ops.cond(ops.greater(2.0, 1.0), lambda: ops.ones(()), lambda: ops.zeros(())))) == 1.0
    rows = np.arange(6, dtype=F32).reshape(3, 2)
    assert_close(ops.map(lambda r: ops.sum(r), rows), rows.sum(axis=1))
    assert_close(ops.vectorized_map(lambda r: ops.multiply(r, r), rows), rows * rows)


class _ControlFlowLayer(kfacade.layers.Layer):
    """A layer whose call branches and loops on tensor values, and scatters."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    def call(self, x):
        y = ops.multiply(x, self.w)
        y = ops.cond(ops.greater(ops.sum(y), -1e9), lambda: ops.multiply(y, 2.0), lambda: y)
        y = ops.fori_loop(0, 3, lambda i, v: ops.add(v, 0.5), y)
        total = ops.segment_sum(ops.transpose(y), np.array([0, 0, 1, 1], np.int32), num_segments=2)
        return ops.scatter_update(ops.transpose(total), [[0, 0]], ops.zeros((1,)), reduction="add")


def test_control_flow_and_scatters_train_in_the_compiled_step():
    model = kfacade.Sequential([kfacade.Input((4,)), _ControlFlowLayer()])
    model.compile(optimizer="sgd", loss="mse")
    x = np.linspace(-1, 1, 32, dtype=F32).reshape(8, 4)
    y = np.zeros((8, 2), F32)
    # y = 2 * w * x + 1.5, summed in pairs of features: the first prediction is NumPy's.
    expected = ((2 * x + 1.5)[:, [0, 1]].sum(1, keepdims=True), (2 * x + 1.5)[:, [2, 3]].sum(1, keepdims=True))
    assert_close(model.predict(x, verbose=0), np.concatenate(expected, axis=1))
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before


# ----------------------------------------------------------------- bitwise


@pytest.mark.parametrize("name, reference", [
    ("bitwise_and", np.bitwise_and), ("bitwise_or", np.bitwise_or), ("bitwise_xor", np.bitwise_xor),
    ("left_shift", np.left_shift), ("right_shift", np.right_shift),
    ("bitwise_left_shift", np.left_shift), ("bitwise_right_shift", np.right_shift),
])
def test_bitwise_binary(name, reference):
    x1 = np.array([12, -7, 255, 0, 1], np.int32)
    x2 = np.array([10, 3, 4, 5, 2], np.int32)
    result = getattr(ops, name)(x1, x2)
    assert ops.dtype(result) == "int32"
    np.testing.assert_array_equal(numpy_of(result), reference(x1, x2))


def test_bitwise_of_bools_and_invert():
    a, b = np.array([True, True, False, False]), np.array([True, False, True, False])
    np.testing.assert_array_equal(numpy_of(ops.bitwise_xor(a, b)), a ^ b)
    np.testing.assert_array_equal(numpy_of(ops.bitwise_and(a, b)), a & b)
    np.testing.assert_array_equal(numpy_of(ops.bitwise_not(a)), ~a)
    np.testing.assert_array_equal(numpy_of(ops.bitwise_invert(np.array([0, 5, -3], np.int32))), [-1, -6, 2])
    np.testing.assert_array_equal(numpy_of(ops.bitwise_invert(np.array([0, 5], np.uint8))), [255, 250])


# --------------------------------------------------------- custom gradients


@kfacade.ops.custom_gradient
def _log1pexp(x):
    """Keras's documented example: a gradient that stays finite where exp overflows."""
    e = ops.exp(x)

    def grad(*args, upstream=None):
        if upstream is None:
            (upstream,) = args
        return ops.multiply(upstream, 1.0 - 1.0 / ops.add(1.0, e))

    return ops.log(1.0 + e), grad


@kfacade.ops.custom_gradient
def _doubled_gradient(x, y):
    """x * y forward, y a row broadcast over x's batch; the gradients are
    2 * upstream * y and 2 * upstream * x summed over the batch."""
    def grad(upstream):
        return (ops.multiply(2.0, ops.multiply(upstream, y)),
                ops.sum(ops.multiply(2.0, ops.multiply(upstream, x)), axis=0))

    return ops.multiply(x, y), grad


class _CustomGradientLayer(kfacade.layers.Layer):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    def call(self, x):
        return ops.add(_doubled_gradient(x, self.w), ops.multiply(0.0, _log1pexp(self.w)))


def test_custom_gradient_replaces_the_gradient_in_the_compiled_step():
    # One SGD step on loss = mean(x * w) with the doubled gradient: w -= lr * 2 * mean(x).
    x = np.array([[1.0, 2.0], [3.0, 6.0]], F32)
    model = kfacade.Sequential([kfacade.Input((2,)), _CustomGradientLayer()])
    model.compile(optimizer=kfacade.optimizers.SGD(learning_rate=0.1), loss=lambda y, p: ops.mean(p))
    model.fit(x, np.zeros((2, 2), F32), epochs=1, batch_size=2, verbose=0)
    # d mean(x * w) / dw_j = mean_i(x_ij) / 2 (mean over 4 entries); doubled by the custom rule.
    expected = 1.0 - 0.1 * 2.0 * x.mean(axis=0) / 2.0
    assert_close(model.layers[0].w.numpy(), expected)


def test_custom_gradient_forward_and_finite_gradient():
    assert_close(_log1pexp(np.array([0.0, 1.0], F32)), np.log1p(np.exp([0.0, 1.0])))
    model = kfacade.Sequential([kfacade.Input((1,)), kfacade.layers.Dense(1, use_bias=False, kernel_initializer="ones"),
                                kfacade.layers.Lambda(_log1pexp)])
    model.compile(optimizer="sgd", loss=lambda y, p: ops.mean(p))
    # exp(100) overflows float32; the custom gradient stays 1 and the step is finite.
    model.fit(np.full((1, 1), 100.0, F32), np.zeros((1, 1), F32), epochs=1, verbose=0)
    assert np.isfinite(model.get_weights()[0]).all()


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("length", [1, 6, 8])
def test_associative_scan_matches_a_sequential_scan(reverse, length):
    rng = np.random.default_rng(length)
    x = rng.uniform(-1, 1, (3, length)).astype(F32)
    expected = np.flip(np.cumsum(np.flip(x, 1), axis=1), 1) if reverse else np.cumsum(x, axis=1)
    assert_close(ops.associative_scan(ops.add, x, reverse=reverse, axis=1), expected)
    # A structure, and a combination that is not commutative: 2x2 matrix products, in order.
    matrices = rng.uniform(-1, 1, (length, 2, 2)).astype(F32)
    products, running = [], np.eye(2)
    for m in (matrices[::-1] if reverse else matrices):
        running = running @ m if not reverse else m @ running
        products.append(running)
    products = np.stack(products[::-1] if reverse else products)
    result = ops.associative_scan(
        lambda a, b: {"m": ops.matmul(b["m"], a["m"]) if reverse else ops.matmul(a["m"], b["m"])},
        {"m": matrices}, reverse=reverse)
    assert_close(result["m"], products, rtol=1e-5, atol=1e-5)


def test_associative_scan_names_unequal_lengths():
    with pytest.raises(ValueError, match="same length along axis 0"):
        ops.associative_scan(lambda a, b: a, [np.ones(3, F32), np.ones(4, F32)])
