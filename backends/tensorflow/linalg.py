"""The contract's ``linalg`` family over ``tf.linalg``.

Where TF differs from the contract (NumPy's semantics): ``tf.linalg.svd``
returns ``(s, u, v)`` with `v` not transposed; ``tf.linalg.solve`` neither
takes a vector right-hand side nor broadcasts batch axes; ``qr`` names its
mode ``full_matrices``; ``tf.linalg.lu`` returns a row permutation where the
contract wants LAPACK's row interchanges. Integer input computes in floatx.
"""
import tensorflow as tf

from kfacade.backend.contract import FAMILIES

from ._helpers import _float, _promote

__all__ = list(FAMILIES["linalg"])


def cholesky(x, upper=False):
    # Not positive definite: TF's kernel fills the factor with NaN.
    factor = tf.linalg.cholesky(_float(x))
    return tf.linalg.adjoint(factor) if upper else factor


def det(x):
    return tf.linalg.det(_float(x))


def slogdet(x):
    sign, log_abs_det = tf.linalg.slogdet(_float(x))
    return sign, log_abs_det


def eigh(x):
    eigenvalues, eigenvectors = tf.linalg.eigh(_float(x))  # ascending, as NumPy
    return eigenvalues, eigenvectors


def inv(x):
    return tf.linalg.inv(_float(x))


def lu_factor(x):
    lu, permutation = tf.linalg.lu(_float(x), output_idx_type=tf.int32)
    return lu, _interchanges(permutation)


def qr(x, mode="reduced"):
    q, r = tf.linalg.qr(_float(x), full_matrices=mode == "complete")
    return q, r


def solve(a, b):
    return _solve_with(lambda a, b: tf.linalg.solve(a, b), a, b)


def solve_triangular(a, b, lower=False):
    return _solve_with(lambda a, b: tf.linalg.triangular_solve(a, b, lower=lower), a, b)


def svd(x, full_matrices=True, compute_uv=True):
    x = _float(x)
    if not compute_uv:
        return tf.linalg.svd(x, full_matrices=full_matrices, compute_uv=False)
    s, u, v = tf.linalg.svd(x, full_matrices=full_matrices, compute_uv=True)
    return u, s, tf.linalg.adjoint(v)


# ------------------------------------------------------------------ helpers


def _solve_with(kernel, a, b):
    """``kernel(a, b)`` for a matrix `b`, or for a 1-D `b` as a vector (NumPy's
    rule: only a 1-D `b` is a vector; a higher-rank one is a stack of matrices)."""
    a, b = (_float(t) for t in _promote([a, b]))
    if b.shape.rank == 1:
        return tf.squeeze(kernel(*_same_batch(a, b[:, tf.newaxis])), axis=-1)
    return kernel(*_same_batch(a, b))


def _same_batch(a, b):
    """`a` and `b` broadcast to one batch shape: ``MatrixSolve`` wants equal
    leading axes (ranks included)."""
    a_batch, b_batch = a.shape[:-2], b.shape[:-2]
    if a_batch == b_batch and a_batch.is_fully_defined():
        return a, b
    if a_batch.is_fully_defined() and b_batch.is_fully_defined():
        batch = tf.broadcast_static_shape(a_batch, b_batch).as_list()
        return (tf.broadcast_to(a, batch + a.shape[-2:].as_list()),
                tf.broadcast_to(b, batch + b.shape[-2:].as_list()))
    a_shape, b_shape = tf.shape(a), tf.shape(b)
    batch = tf.broadcast_dynamic_shape(a_shape[:-2], b_shape[:-2])
    return (tf.broadcast_to(a, tf.concat([batch, a_shape[-2:]], axis=0)),
            tf.broadcast_to(b, tf.concat([batch, b_shape[-2:]], axis=0)))


def _interchanges(permutation):
    """LAPACK's 0-based row interchanges (``pivots``) equal to `permutation`
    (``(..., M)``: row ``k`` of the permuted matrix is row ``permutation[k]``).

    Replays the swaps: at step ``i`` the row that belongs at ``i`` is found
    where the swaps so far left it (``rows`` holds each position's row) and
    swapped up. A ``tf.while_loop`` of elementwise selects, so it runs in
    graphs, batched, and for an ``M`` known only when run.
    """
    size = tf.shape(permutation)[-1]
    positions = tf.range(size)
    # Each position's row before any swap, one row of them per matrix.
    rows = tf.broadcast_to(positions, tf.shape(permutation))

    def step(i, rows, pivots):
        wanted = permutation[..., i:i + 1]
        j = tf.argmax(tf.cast(tf.equal(rows, wanted), tf.int32), axis=-1,
                      output_type=tf.int32)[..., tf.newaxis]
        at_i, at_j = tf.equal(positions, i), tf.equal(positions, j)
        rows = tf.where(at_i, wanted, tf.where(at_j, rows[..., i:i + 1], rows))
        pivots = tf.where(at_i, j, pivots)
        return i + 1, rows, pivots

    _, _, pivots = tf.while_loop(
        lambda i, rows, pivots: i < size, step,
        (tf.constant(0), rows, tf.zeros_like(permutation)))
    return pivots
