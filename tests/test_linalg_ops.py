"""The linear-algebra ``kfacade.ops`` (``ops.linalg``) against ``numpy.linalg``.

Inputs are float32 and well conditioned: symmetric matrices are built from a
random orthogonal basis and eigenvalues 1, 2, 3, ..., general ones from
singular values 1, 2, 3, ... (every gap is 1, so eigenvectors and singular
vectors are as accurate as the values). The NumPy reference runs in float64
on the same float32 values. Factors that are unique only up to signs
(eigenvectors, singular vectors, q and r) are compared after matching their
signs to the reference's, and also by reconstruction. Runs on the active
backend (``KERAS_BACKEND``).
"""
import math

import numpy as np
import pytest

import kfacade
from kfacade import ops

try:
    from tests.helpers import assert_close
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import assert_close

F32 = np.float32
RNG = np.random.default_rng(2024)


def orthogonal(n):
    q, r = np.linalg.qr(RNG.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def symmetric(*batch, n=4):
    """Symmetric positive-definite float32 matrices with eigenvalues 1..n."""
    out = np.empty(batch + (n, n))
    for index in np.ndindex(*batch):
        q = orthogonal(n)
        out[index] = (q * np.arange(1.0, n + 1)) @ q.T
    return out.astype(F32)


def general(*shape):
    """Float32 matrices of `shape` (..., M, N) with singular values 1..min(M, N)."""
    *batch, m, n = shape
    k = min(m, n)
    out = np.empty(shape)
    for index in np.ndindex(*batch):
        out[index] = (orthogonal(m)[:, :k] * np.arange(1.0, k + 1)) @ orthogonal(n)[:k]
    return out.astype(F32)


def triangular_system(n=4):
    """A full float32 matrix whose triangles are well conditioned (diagonal >= 2)."""
    return (RNG.uniform(-0.5, 0.5, (n, n)) + np.diag(RNG.uniform(2.0, 3.0, n))).astype(F32)


def f64(x):
    return np.asarray(x, np.float64)


def to_numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


def mT(x):
    return np.swapaxes(x, -1, -2)


def align_columns(actual, reference):
    """`actual` with each column's sign flipped to agree with `reference`'s
    (eigenvectors and singular vectors are unique only up to sign)."""
    signs = np.sign(np.sum(actual * reference, axis=-2, keepdims=True))
    return actual * signs, signs


SPD = symmetric(2, 3)          # (2, 3, 4, 4): batched
SPD2 = symmetric()             # (4, 4)
SQUARE = general(2, 4, 4)
TALL = general(2, 5, 3)
WIDE = general(3, 5)


# ------------------------------------------------------------ primitives


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky(upper):
    factor = to_numpy(ops.cholesky(SPD, upper=upper))
    assert factor.dtype == F32 and factor.shape == SPD.shape
    lower = np.linalg.cholesky(f64(SPD))
    assert_close(factor, mT(lower) if upper else lower)
    product = mT(factor) @ factor if upper else factor @ mT(factor)
    assert_close(product, SPD)
    # The unused triangle is zero.
    assert_close(np.tril(factor, -1) if upper else np.triu(factor, 1), np.zeros_like(factor))


def test_cholesky_of_a_matrix_that_is_not_positive_definite_is_nan():
    # The contract leaves such input unchecked; every adapter gives NaN
    # (torch's kernel would leave a partly computed factor).
    factor = to_numpy(ops.cholesky(np.array([[1.0, 2.0], [2.0, 1.0]], F32)))
    assert np.isnan(factor).any()


def test_det_and_slogdet():
    assert_close(ops.det(SQUARE), np.linalg.det(f64(SQUARE)))
    sign, log_abs_det = ops.slogdet(SQUARE)
    expected_sign, expected_log = np.linalg.slogdet(f64(SQUARE))
    for value in (sign, log_abs_det):
        assert to_numpy(value).dtype == F32 and to_numpy(value).shape == (2,)
    assert_close(sign, expected_sign)
    assert_close(log_abs_det, expected_log)
    sign, log_abs_det = ops.slogdet(np.array([[1.0, 2.0], [2.0, 4.0]], F32))  # singular
    assert to_numpy(sign) == 0 and to_numpy(log_abs_det) == -np.inf


def test_det_of_integers_and_variables_computes_in_floatx():
    result = ops.det(np.array([[2, 1], [1, 3]], np.int32))
    assert to_numpy(result).dtype == np.dtype(kfacade.config.floatx())
    assert_close(result, 5.0)
    assert_close(ops.inv(kfacade.Variable(SPD2)), np.linalg.inv(f64(SPD2)))


def test_eigh():
    eigenvalues, eigenvectors = ops.eigh(SPD)
    eigenvalues, eigenvectors = to_numpy(eigenvalues), to_numpy(eigenvectors)
    expected_values, expected_vectors = np.linalg.eigh(f64(SPD))
    assert eigenvalues.shape == (2, 3, 4) and eigenvectors.shape == SPD.shape
    assert_close(eigenvalues, expected_values)  # ascending, as NumPy
    assert_close(align_columns(eigenvectors, expected_vectors)[0], expected_vectors)
    assert_close((eigenvectors * eigenvalues[..., None, :]) @ mT(eigenvectors), SPD)


def test_inv():
    assert_close(ops.inv(SQUARE), np.linalg.inv(f64(SQUARE)))


def _positive_diagonal(q, r):
    """q and r with each diagonal entry of r made positive (unique QR)."""
    k = min(r.shape[-2:])
    signs = np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., :k]
    return q[..., :k] * signs[..., None, :], r[..., :k, :] * signs[..., :, None]


@pytest.mark.parametrize("mode", ["reduced", "complete"])
@pytest.mark.parametrize("x", [TALL, WIDE, SQUARE], ids=["tall", "wide", "square"])
def test_qr(mode, x):
    q, r = (to_numpy(t) for t in ops.qr(x, mode=mode))
    expected_q, expected_r = np.linalg.qr(f64(x), mode=mode)
    assert q.shape == expected_q.shape and r.shape == expected_r.shape
    assert_close(q @ r, x)
    assert_close(mT(q) @ q, np.broadcast_to(np.eye(q.shape[-1]), mT(q).shape[:-1] + q.shape[-1:]))
    assert_close(np.tril(r, -1), np.zeros_like(r))
    # Complete mode: q's columns past min(M, N) span the complement only, so
    # the unique parts are compared.
    unique = _positive_diagonal(q, r)
    for actual, expected in zip(unique, _positive_diagonal(expected_q, expected_r)):
        assert_close(actual, expected)


def test_qr_default_mode_is_reduced():
    q, r = ops.qr(TALL)
    assert to_numpy(q).shape == (2, 5, 3) and to_numpy(r).shape == (2, 3, 3)


@pytest.mark.parametrize("a, b, expected_shape", [
    (SPD2, RNG.standard_normal(4).astype(F32), (4,)),
    (SPD, RNG.standard_normal(4).astype(F32), (2, 3, 4)),            # 1-D b: a vector, broadcast
    (SPD2, RNG.standard_normal((4, 3)).astype(F32), (4, 3)),
    (SQUARE, RNG.standard_normal((4, 2)).astype(F32), (2, 4, 2)),      # b's batch broadcasts
    (SQUARE[:1], RNG.standard_normal((3, 4, 4)).astype(F32), (3, 4, 4)),
], ids=["vector", "batched_a_vector", "matrix", "broadcast_b", "b_of_shape_a_batch_is_a_matrix"])
def test_solve(a, b, expected_shape):
    x = to_numpy(ops.solve(a, b))
    expected = np.linalg.solve(f64(a), f64(b))
    assert x.shape == expected.shape == expected_shape and x.dtype == F32
    assert_close(x, expected)


def test_solve_promotes_its_operands():
    x = ops.solve(np.diag([2, 4, 2, 4]).astype(np.int32), np.full(4, 2.0, F32))
    assert to_numpy(x).dtype == F32
    assert_close(x, [1.0, 0.5, 1.0, 0.5])
    assert_close(ops.solve(a=SPD2, b=np.ones(4, F32)), np.linalg.solve(f64(SPD2), np.ones(4)))


@pytest.mark.parametrize("lower", [False, True])
@pytest.mark.parametrize("batch, b_shape", [((2,), (4,)), ((), (4, 3)), ((2,), (2, 4, 3))],
                         ids=["batched_a_vector", "matrix", "batched"])
def test_solve_triangular_reads_one_triangle(lower, batch, b_shape):
    a = np.stack([triangular_system() for _ in range(math.prod(batch))]).reshape(batch + (4, 4))
    b = RNG.standard_normal(b_shape).astype(F32)
    triangle = np.tril(f64(a)) if lower else np.triu(f64(a))  # the other one is ignored
    x = to_numpy(ops.solve_triangular(a, b, lower=lower))
    expected = np.linalg.solve(triangle, f64(b))
    assert x.shape == expected.shape
    assert_close(x, expected)


@pytest.mark.parametrize("full_matrices", [True, False])
@pytest.mark.parametrize("x", [TALL, WIDE, SQUARE], ids=["tall", "wide", "square"])
def test_svd(full_matrices, x):
    u, s, vh = (to_numpy(t) for t in ops.svd(x, full_matrices=full_matrices))
    expected_u, expected_s, expected_vh = np.linalg.svd(f64(x), full_matrices=full_matrices)
    assert (u.shape, s.shape, vh.shape) == (expected_u.shape, expected_s.shape, expected_vh.shape)
    assert_close(s, expected_s)  # descending
    k = s.shape[-1]
    assert_close((u[..., :k] * s[..., None, :]) @ vh[..., :k, :], x)
    for factor in (u, mT(vh)):
        n = factor.shape[-1]
        assert_close(mT(factor) @ factor, np.broadcast_to(np.eye(n), factor.shape[:-2] + (n, n)))
    # The first k singular vectors are unique up to a sign shared by u's column and vh's row.
    aligned_u, signs = align_columns(u[..., :k], expected_u[..., :k])
    assert_close(aligned_u, expected_u[..., :k])
    assert_close(vh[..., :k, :] * mT(signs), expected_vh[..., :k, :])


@pytest.mark.parametrize("x", [TALL, WIDE], ids=["tall", "wide"])
def test_svd_values_only(x):
    s = to_numpy(ops.svd(x, compute_uv=False))
    assert s.dtype == F32
    assert_close(s, np.linalg.svd(f64(x), compute_uv=False))


# ------------------------------------------------------------ composites


VECTORS = RNG.uniform(-2.0, 2.0, (3, 5)).astype(F32)
VECTORS[0, 1] = 0.0  # ord=0 counts nonzero entries; negative orders meet a zero
MATRICES = RNG.uniform(-2.0, 2.0, (2, 3, 4)).astype(F32)


def numpy_norm(x, **kwargs):
    with np.errstate(divide="ignore"):  # negative orders of a zero entry: inf, then 0
        return np.linalg.norm(f64(x), **kwargs)


# keepdims=True only where it takes another path (one axis each), to keep JAX's
# per-shape compilations few.
@pytest.mark.parametrize("ord, axis, keepdims", [
    *[(ord, axis, False) for ord in (None, 2, 1, math.inf, -math.inf, 0, -1, -2, 3, 0.5)
      for axis in (-1, 0)],
    *[(ord, 0, True) for ord in (None, math.inf, 0, 3)],
])
def test_vector_norms(ord, axis, keepdims):
    result = to_numpy(ops.norm(VECTORS, ord=ord, axis=axis, keepdims=keepdims))
    assert result.dtype == F32
    assert_close(result, numpy_norm(VECTORS, ord=ord, axis=axis, keepdims=keepdims))


MATRIX_ORDS = [None, "fro", "nuc", math.inf, -math.inf, 1, -1, 2, -2]


@pytest.mark.parametrize("ord, axis, keepdims", [
    *[(ord, axis, False) for ord in MATRIX_ORDS for axis in ((1, 2), (-1, 0))],  # (-1, 0): reversed
    *[(ord, (-1, 0), True) for ord in MATRIX_ORDS],
])
def test_matrix_norms(ord, axis, keepdims):
    result = ops.norm(MATRICES, ord=ord, axis=axis, keepdims=keepdims)
    assert_close(result, numpy_norm(MATRICES, ord=ord, axis=axis, keepdims=keepdims))


@pytest.mark.parametrize("x, ord, keepdims", [
    (MATRICES, None, False), (MATRICES, None, True),  # every entry, whatever the rank
    (MATRICES[0], None, False), (MATRICES[0], "nuc", True), (MATRICES[0], -math.inf, False),
    (VECTORS[1], None, False), (VECTORS[1], 1, True),
])
def test_norm_without_axis(x, ord, keepdims):
    assert_close(ops.norm(x, ord=ord, keepdims=keepdims), numpy_norm(x, ord=ord, keepdims=keepdims))


def test_norm_of_integers_is_floatx():
    result = ops.norm(np.array([3, 4], np.int32))
    assert to_numpy(result).dtype == np.dtype(kfacade.config.floatx())
    assert_close(result, 5.0)


def test_logdet():
    assert_close(ops.logdet(SPD), np.linalg.slogdet(f64(SPD))[1])
    # log of a negative determinant is NaN; of a singular matrix, -inf.
    negative_and_singular = np.array([[[0.0, 1.0], [1.0, 0.0]], [[1.0, 1.0], [1.0, 1.0]]], F32)
    result = to_numpy(ops.logdet(negative_and_singular))
    assert np.isnan(result[0]) and result[1] == -np.inf


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_inverse(upper):
    factor = np.linalg.cholesky(f64(SPD)).astype(F32)
    if upper:
        factor = mT(factor)
    assert_close(ops.cholesky_inverse(factor, upper=upper), np.linalg.inv(f64(SPD)))
    assert_close(ops.cholesky_inverse(ops.cholesky(SPD, upper=upper), upper=upper),
                 np.linalg.inv(f64(SPD)))


@pytest.mark.parametrize("x", [TALL, WIDE, SQUARE], ids=["tall", "wide", "square"])
def test_pinv(x):
    result = to_numpy(ops.pinv(x))
    assert result.shape == mT(x).shape and result.dtype == F32
    assert_close(result, np.linalg.pinv(f64(x)))


def diagonal_matrix(values, shape):
    x = np.zeros(shape, F32)
    x[np.arange(len(values)), np.arange(len(values))] = values
    return x


# The cut-off tests reuse the shapes above (here WIDE's and TALL's): each new
# shape costs JAX a compilation of every op of the composite.
def test_pinv_cuts_small_singular_values():
    x = diagonal_matrix([4.0, 1.0, 1e-3], (3, 5))
    assert_close(ops.pinv(x, rcond=1e-2), diagonal_matrix([0.25, 1.0, 0.0], (5, 3)))
    # 1/1e-3: float32 singular values carry an absolute error near eps * 4 =
    # 5e-7, about 5e-4 relative to 1e-3 at worst, hence the looser bound.
    assert_close(ops.pinv(x), diagonal_matrix([0.25, 1.0, 1e3], (5, 3)), rtol=1e-3)


def test_matrix_rank():
    deficient = np.array([[1, 2, 3, 4], [2, 4, 6, 8], [0, 1, 0, 1], [1, 3, 3, 5]], F32)  # rank 2
    batch = np.stack([deficient, SQUARE[0], np.zeros((4, 4), F32)])
    result = to_numpy(ops.matrix_rank(batch))
    assert result.dtype == np.int32
    np.testing.assert_array_equal(result, np.linalg.matrix_rank(batch))  # same float32 epsilon
    np.testing.assert_array_equal(to_numpy(ops.matrix_rank(TALL)), [3, 3])
    # An absolute `tol` of 1.5 drops singular values 1.16 of `deficient` and 1 of SQUARE[0].
    np.testing.assert_array_equal(to_numpy(ops.matrix_rank(batch, tol=1.5)), [1, 3, 0])


@pytest.mark.parametrize("a, b_shape", [
    (TALL[0], (5,)), (TALL[1], (5, 2)), (WIDE, (3,)), (WIDE, (3, 2)),
], ids=["overdetermined_vector", "overdetermined", "underdetermined_vector", "underdetermined"])
def test_lstsq(a, b_shape):
    b = RNG.standard_normal(b_shape).astype(F32)
    x = to_numpy(ops.lstsq(a, b))
    expected = np.linalg.lstsq(f64(a), f64(b), rcond=None)[0]  # minimal norm when underdetermined
    assert x.shape == expected.shape and x.dtype == F32
    assert_close(x, expected)


def test_lstsq_rcond_drops_small_singular_values():
    a = diagonal_matrix([2.0, 1.0, 1e-4], (5, 3))
    b = np.array([2.0, 1.0, 1.0, 0.5, 0.5], F32)
    assert_close(ops.lstsq(a, b, rcond=1e-2), [1.0, 1.0, 0.0])
    # 1/1e-4: as in test_pinv_cuts_small_singular_values, the small singular
    # value is known to about eps * 2 absolute, so 1e-3 relative.
    assert_close(ops.lstsq(a, b), [1.0, 1.0, 1e4], rtol=1e-3)


# ------------------------------------------------------------ errors


@pytest.mark.parametrize("call", [
    lambda: ops.det(np.ones((3, 4), F32)),
    lambda: ops.inv(np.ones((2, 3, 4), F32)),
    lambda: ops.cholesky(np.ones((3, 4), F32)),
    lambda: ops.slogdet(np.ones((3, 4), F32)),
    lambda: ops.eigh(np.ones((3, 4), F32)),
    lambda: ops.logdet(np.ones((3, 4), F32)),
    lambda: ops.cholesky_inverse(np.ones((3, 4), F32)),
    lambda: ops.solve(np.ones((3, 4), F32), np.ones(3, F32)),
], ids=["det", "inv", "cholesky", "slogdet", "eigh", "logdet", "cholesky_inverse", "solve"])
def test_non_square_matrices_are_refused(call):
    with pytest.raises(ValueError, match="square"):
        call()


@pytest.mark.parametrize("name", ["det", "inv", "cholesky", "qr", "svd", "pinv", "matrix_rank"])
def test_rank_below_two_is_refused(name):
    with pytest.raises(ValueError, match=r"rank >= 2.*shape=\(3,\)"):
        getattr(ops, name)(np.ones(3, F32))


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="unknown `mode`. Received: mode='r'"):
        ops.qr(TALL, mode="r")
    with pytest.raises(ValueError, match="ord='bad'"):
        ops.norm(MATRICES[0], ord="bad")
    with pytest.raises(ValueError, match="unknown `ord` for a matrix norm. Received: ord=3"):
        ops.norm(MATRICES, ord=3, axis=(1, 2))
    with pytest.raises(ValueError, match="matrix norm, but `axis` names one axis"):
        ops.norm(VECTORS, ord="fro", axis=0)
    with pytest.raises(ValueError, match="must differ"):
        ops.norm(MATRICES, axis=(1, 1))
    with pytest.raises(ValueError, match="out of range"):
        ops.norm(MATRICES, axis=3)
    with pytest.raises(ValueError, match="must be 1-D or 2-D"):
        ops.norm(MATRICES, ord=2)
    with pytest.raises(ValueError, match=r"b.shape\[-2\] == a.shape\[-1\]"):
        ops.solve(SPD2, np.ones((3, 2), F32))
    with pytest.raises(ValueError, match="do not broadcast"):
        ops.solve(SPD, np.ones((4, 4, 2), F32))
    with pytest.raises(ValueError, match="`a` of rank 2"):
        ops.lstsq(TALL, np.ones(5, F32))
    with pytest.raises(ValueError, match=r"b.shape\[0\] == a.shape\[0\]"):
        ops.lstsq(TALL[0], np.ones(4, F32))


# ------------------------------------------------------------ symbolic


def test_symbolic_calls_infer_shapes():
    square = kfacade.Input(shape=(4, 4))
    tall = kfacade.Input(shape=(5, 3))
    assert ops.det(square).shape == (None,)
    assert [t.shape for t in ops.slogdet(square)] == [(None,), (None,)]
    assert [t.shape for t in ops.eigh(square)] == [(None, 4), (None, 4, 4)]
    assert [t.shape for t in ops.qr(tall, mode="complete")] == [(None, 5, 5), (None, 5, 3)]
    assert [t.shape for t in ops.svd(tall, full_matrices=False)] == [
        (None, 5, 3), (None, 3), (None, 3, 3)]
    assert ops.svd(tall, compute_uv=False).shape == (None, 3)
    assert ops.solve(square, kfacade.Input(shape=(4, 2))).shape == (None, 4, 2)
    assert ops.solve_triangular(SPD2, kfacade.Input(shape=(4, 2)), lower=True).shape == (None, 4, 2)
    assert ops.pinv(tall).shape == (None, 3, 5)
    assert ops.norm(tall, ord="nuc", axis=(-2, -1)).shape == (None,)
    rank = ops.matrix_rank(tall)
    assert rank.shape == (None,) and rank.dtype == "int32"
    assert ops.cholesky_inverse(square).shape == (None, 4, 4)
    with pytest.raises(ValueError, match="square"):
        ops.inv(tall)
    with pytest.raises(ValueError, match="mode"):
        ops.qr(tall, mode="full")


def test_linalg_namespace():
    for name in ops.linalg.__all__:
        assert getattr(ops.linalg, name) is getattr(ops, name)
    assert {"cholesky", "det", "eigh", "inv", "norm", "qr", "solve", "solve_triangular",
            "svd", "lstsq", "pinv", "matrix_rank", "cholesky_inverse"} <= set(ops.linalg.__all__)


# ------------------------------------------------------------ gradients


def test_solve_and_norm_train_inside_a_compiled_step():
    # The gradient flows through solve and norm (traced under jax.jit and
    # tf.function, eager on torch): the loss falls and stays finite.
    system = SPD2

    def head(t):
        x = ops.solve(system, ops.expand_dims(t, -1))[..., 0]  # a batch of matrices (4, 1)
        return ops.norm(x, axis=-1, keepdims=True)

    model = kfacade.Sequential([
        kfacade.Input((4,)),
        kfacade.layers.Dense(4, kernel_initializer="ones"),
        kfacade.layers.Lambda(head),
    ])
    model.compile(optimizer="sgd", loss="mse")
    x = np.linspace(-1, 1, 32, dtype=F32).reshape(8, 4)
    y = np.full((8, 1), 0.1, F32)
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=3, batch_size=4, verbose=0)
    after = model.evaluate(x, y, verbose=0)
    assert math.isfinite(before) and math.isfinite(after) and after < before

