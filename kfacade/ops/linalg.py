"""Linear algebra ``keras.ops``, also served as ``kfacade.ops.linalg`` (Keras's
``keras.ops.linalg``).

Matrices are the last two axes of a tensor; leading axes are a batch.
The factorisations (``cholesky``, ``det``, ``slogdet``, ``eigh``, ``inv``,
``lu_factor``, ``qr``, ``solve``, ``solve_triangular``, ``svd``) are the adapter's
primitives (the contract's ``linalg`` family); ``norm``, ``logdet``,
``cholesky_inverse``, ``pinv``, ``matrix_rank`` and ``lstsq`` are composed of
them here. Results follow ``numpy.linalg``; integer input computes in
floatx. Each op checks its shapes and arguments, eagerly and on
KerasTensors, and raises ValueError naming the problem; on KerasTensors a
primitive's shape rule gives its outputs without running a factorisation
(stand-ins of zeros are singular, which some kernels refuse).
"""
import math
import operator

from kfacade.backend.active import adapter as _B
from kfacade.backend.config import floatx
from kfacade.backend.dtypes import (
    is_float_dtype,
    result_type,
    standardize_dtype,
)
from kfacade.engine.keras_tensor import KerasTensor
from kfacade.ops._composite import floating as _floating, tensor as _tensor
from kfacade.ops.dispatch import make_op, symbolic_or

__all__ = [
    "cholesky", "cholesky_inverse", "det", "eigh", "inv", "logdet", "lstsq", "lu_factor",
    "matrix_rank", "norm", "pinv", "qr", "slogdet", "solve", "solve_triangular", "svd",
]

#: Machine epsilon by float dtype: the default cut-offs of pinv, matrix_rank, lstsq.
_EPSILON = {
    "float16": 2.0 ** -10, "bfloat16": 2.0 ** -7, "float32": 2.0 ** -23, "float64": 2.0 ** -52,
}

_QR_MODES = ("reduced", "complete")
_MATRIX_ORDS = (None, "fro", "nuc", math.inf, -math.inf, 1, -1, 2, -2)


# ------------------------------------------------------------ shape checks


def _shape(x):
    """The shape of a KerasTensor (None for unknown dims) or of a tensor."""
    return tuple(x.shape) if type(x) is KerasTensor else tuple(_B.shape(x))


def _dtype(x):
    return x.dtype if type(x) is KerasTensor else _B.dtype(x)


def _float_dtype(dtype):
    """The dtype a float function of `dtype` computes in: floatx for integers and bool."""
    dtype = standardize_dtype(dtype)
    return dtype if is_float_dtype(dtype) else floatx()


def _check_matrices(op, shape, square=False):
    """Raises unless `shape` holds matrices (rank >= 2), square ones if `square`."""
    if len(shape) < 2:
        raise ValueError(
            f"{op}: expected a tensor of rank >= 2, matrices in its last two axes. "
            f"Received: shape={shape}")
    if square and shape[-2] != shape[-1]:
        raise ValueError(
            f"{op}: expected square matrices, of shape (..., M, M). Received: shape={shape}")


def _broadcast_batch(op, a_batch, b_batch):
    """The broadcast of two batch shapes (None: unknown), or ValueError."""
    rank = max(len(a_batch), len(b_batch))
    a_batch = (1,) * (rank - len(a_batch)) + tuple(a_batch)
    b_batch = (1,) * (rank - len(b_batch)) + tuple(b_batch)
    result = []
    for d1, d2 in zip(a_batch, b_batch):
        if d1 == 1 or d2 == 1:
            result.append(d2 if d1 == 1 else d1)
        elif d1 is None or d2 is None:
            result.append(d1 if d2 is None else d2)
        elif d1 != d2:
            raise ValueError(
                f"{op}: the batch axes of `a` and `b` do not broadcast. Received: "
                f"a batch shape {a_batch}, b batch shape {b_batch}")
        else:
            result.append(d1)
    return tuple(result)


def _system_shape(op, a_shape, b_shape):
    """The shape of `x` in ``a @ x = b``: NumPy's rule, where only a 1-D `b`
    is a vector and a higher-rank `b` is a (batch of) matrix."""
    _check_matrices(op, a_shape, square=True)
    if len(b_shape) < 1:
        raise ValueError(f"{op}: expected `b` of rank >= 1. Received: b.shape={b_shape}")
    rows = b_shape[0] if len(b_shape) == 1 else b_shape[-2]
    if None not in (rows, a_shape[-1]) and rows != a_shape[-1]:
        which = "b.shape[0]" if len(b_shape) == 1 else "b.shape[-2]"
        raise ValueError(
            f"{op}: `b` must have as many rows as `a`: expected {which} == a.shape[-1]. "
            f"Received: a.shape={a_shape}, b.shape={b_shape}")
    if len(b_shape) == 1:
        return a_shape[:-1]
    return _broadcast_batch(op, a_shape[:-2], b_shape[:-2]) + b_shape[-2:]


def _check_qr_mode(mode):
    if mode not in _QR_MODES:
        raise ValueError(f"qr: unknown `mode`. Received: mode={mode!r}; expected one of "
                         f"{', '.join(repr(m) for m in _QR_MODES)}")


def _min_dim(m, n):
    return None if m is None or n is None else min(m, n)


# -------------------------------------------------------------- primitives


def _spec(shape, dtype):
    return KerasTensor(shape, dtype=dtype)


def _primitive(name, check, rule, doc):
    """The public op `name`: the adapter's function, after `check` of the
    arguments; on KerasTensors, `rule` gives the output KerasTensors.

    `check(shapes, *options, **options)` raises for bad input; `rule(shapes,
    *options, **options)` returns the output shape, or a list of shapes for
    several outputs, all of the inputs' float dtype. `shapes` are those of
    the tensor arguments (`x`, or `a` and `b`), given by position or name.
    """
    kernel = getattr(_B, name)
    tensor_names = ("a", "b") if name in ("solve", "solve_triangular") else ("x",)

    def split(args, kwargs):
        """(tensor arguments, other positional arguments, other keywords)."""
        args, kwargs = list(args), dict(kwargs)
        tensors = []
        for tensor_name in tensor_names:
            if args:
                tensors.append(args.pop(0))
            elif tensor_name in kwargs:
                tensors.append(kwargs.pop(tensor_name))
            else:
                raise TypeError(f"{name}() missing required argument: {tensor_name!r}")
        return tensors, args, kwargs

    def impl(*args, **kwargs):
        tensors, args, kwargs = split(args, kwargs)
        tensors = [_tensor(t) for t in tensors]
        check([_shape(t) for t in tensors], *args, **kwargs)
        return kernel(*tensors, *args, **kwargs)

    def output_spec(*args, **kwargs):
        tensors, args, kwargs = split(args, kwargs)
        tensors = [t if type(t) is KerasTensor else _tensor(t) for t in tensors]
        shapes = [_shape(t) for t in tensors]
        check(shapes, *args, **kwargs)
        dtype = _float_dtype(result_type(*(_dtype(t) for t in tensors)))
        outputs = rule(shapes, *args, **kwargs)
        if isinstance(outputs, list):
            return tuple(_spec(shape, dtype) for shape in outputs)
        return _spec(outputs, dtype)

    op = make_op(name, impl, doc=doc)
    op.output_spec = output_spec
    return op


def _square(op):
    return lambda shapes, *args, **kwargs: _check_matrices(op, shapes[0], square=True)


def _qr_check(shapes, mode="reduced"):
    _check_qr_mode(mode)
    _check_matrices("qr", shapes[0])


def _qr_rule(shapes, mode="reduced"):
    shape = shapes[0]
    batch, (m, n) = shape[:-2], shape[-2:]
    if mode == "complete":
        return [batch + (m, m), batch + (m, n)]
    k = _min_dim(m, n)
    return [batch + (m, k), batch + (k, n)]


def _svd_rule(shapes, full_matrices=True, compute_uv=True):
    shape = shapes[0]
    batch, (m, n) = shape[:-2], shape[-2:]
    k = _min_dim(m, n)
    if not compute_uv:
        return batch + (k,)
    if full_matrices:
        return [batch + (m, m), batch + (k,), batch + (n, n)]
    return [batch + (m, k), batch + (k,), batch + (k, n)]


cholesky = _primitive(
    "cholesky", _square("cholesky"), lambda shapes, upper=False: shapes[0],
    doc="""The Cholesky factor of each symmetric positive-definite matrix.

    Args:
        x: tensor of shape `(..., M, M)`.
        upper: if True, the upper-triangular factor `U` with `x = U^T @ U`;
            otherwise (default) the lower-triangular `L` with `x = L @ L^T`.

    Returns:
        A tensor of shape `(..., M, M)`. Where `x` is not positive definite the
        factor holds NaN (it is not checked).

    Example:
        >>> ops.cholesky([[4.0, 2.0], [2.0, 5.0]])  # [[2., 0.], [1., 2.]]
    """)

det = _primitive(
    "det", _square("det"), lambda shapes: shapes[0][:-2],
    doc="""The determinant of each square matrix.

    Args:
        x: tensor of shape `(..., M, M)`.

    Returns:
        A tensor of shape `(...,)`.

    Example:
        >>> ops.det([[1.0, 2.0], [3.0, 4.0]])  # -2.0
    """)

slogdet = _primitive(
    "slogdet", _square("slogdet"), lambda shapes: [shapes[0][:-2], shapes[0][:-2]],
    doc="""The sign and the natural log of the absolute determinant of each square
    matrix, which do not overflow where the determinant would.

    Args:
        x: tensor of shape `(..., M, M)`.

    Returns:
        A tuple `(sign, logabsdet)` of tensors of shape `(...,)`, both of `x`'s
        float dtype: `sign` is 1, -1 or 0 (singular; `logabsdet` is then -inf).

    Example:
        >>> sign, logabsdet = ops.slogdet([[1.0, 2.0], [3.0, 4.0]])  # -1.0, log(2)
    """)

eigh = _primitive(
    "eigh", _square("eigh"), lambda shapes: [shapes[0][:-1], shapes[0]],
    doc="""The eigenvalues and eigenvectors of each real symmetric matrix.

    Args:
        x: tensor of shape `(..., M, M)`, symmetric.

    Returns:
        A tuple `(eigenvalues, eigenvectors)`: eigenvalues of shape `(..., M)`,
        ascending, and the unit eigenvectors as the columns of a `(..., M, M)`
        tensor (each unique only up to its sign).

    Example:
        >>> w, v = ops.eigh([[2.0, 1.0], [1.0, 2.0]])  # w = [1., 3.]
    """)

inv = _primitive(
    "inv", _square("inv"), lambda shapes: shapes[0],
    doc="""The inverse of each square matrix.

    Args:
        x: tensor of shape `(..., M, M)`.

    Returns:
        A tensor of shape `(..., M, M)`.

    Example:
        >>> ops.inv([[2.0, 0.0], [0.0, 4.0]])  # [[0.5, 0.], [0., 0.25]]
    """)

lu_factor = _primitive(
    "lu_factor", _square("lu_factor"), lambda shapes: [shapes[0], shapes[0][:-1]],
    doc="""The LU factorisation with partial pivoting of each square matrix, as
    `scipy.linalg.lu_factor`: `x = P @ L @ U`.

    Args:
        x: tensor of shape `(..., M, M)`.

    Returns:
        A tuple `(lu, pivots)`: `lu` of shape `(..., M, M)` holds U on and
        above the diagonal and L (whose diagonal of ones is not stored) below
        it; `pivots`, int32 of shape `(..., M)`, are LAPACK's 0-based row
        interchanges, on every backend: row `i` was swapped with row
        `pivots[i]`, for `i = 0, 1, ..., M - 1` in turn. A singular matrix
        gives a zero on U's diagonal (TensorFlow's CPU kernel raises instead).

    Example:
        >>> lu, pivots = ops.lu_factor([[1.0, 2.0], [3.0, 4.0]])
        >>> # lu = [[3., 4.], [1/3, 2/3]], pivots = [1, 1]
    """)
_float_lu_factor_spec = lu_factor.output_spec


def _lu_factor_spec(*args, **kwargs):
    """`lu_factor`'s outputs on KerasTensors: unlike every other factor, the
    pivots are int32 (Keras's symbolic rule says `x`'s dtype, its kernels int32)."""
    lu, pivots = _float_lu_factor_spec(*args, **kwargs)
    return lu, _spec(pivots.shape, "int32")


lu_factor.output_spec = _lu_factor_spec

qr = _primitive(
    "qr", _qr_check, _qr_rule,
    doc="""The QR decomposition of each matrix: `x = q @ r`, `q` with orthonormal
    columns, `r` upper triangular.

    Args:
        x: tensor of shape `(..., M, N)`.
        mode: "reduced" (default): `q` of shape `(..., M, K)` and `r` of shape
            `(..., K, N)`, with `K = min(M, N)`; "complete": `q` of shape
            `(..., M, M)` and `r` of shape `(..., M, N)`.

    Returns:
        A tuple `(q, r)`. Each column of `q` (and row of `r`) is unique only up
        to its sign.

    Example:
        >>> q, r = ops.qr([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])  # (3, 2), (2, 2)
    """)

solve = _primitive(
    "solve", lambda shapes: _system_shape("solve", *shapes),
    lambda shapes: _system_shape("solve", *shapes),
    doc="""The solution `x` of `a @ x = b` for square matrices `a`.

    Args:
        a: tensor of shape `(..., M, M)`.
        b: tensor of shape `(M,)` (a vector) or `(..., M, K)` (matrices; the batch
            axes broadcast with `a`'s). As in NumPy 2, only a 1-D `b` is a vector:
            solve a batch of vectors as `solve(a, b[..., None])[..., 0]`.

    Returns:
        A tensor of shape `a.shape[:-1]` for a vector `b`, else of `b`'s
        shape with the broadcast batch axes.

    Example:
        >>> ops.solve([[2.0, 0.0], [0.0, 4.0]], [2.0, 2.0])  # [1., 0.5]
    """)

solve_triangular = _primitive(
    "solve_triangular", lambda shapes, lower=False: _system_shape("solve_triangular", *shapes),
    lambda shapes, lower=False: _system_shape("solve_triangular", *shapes),
    doc="""The solution `x` of `a @ x = b` for triangular matrices `a`.

    Args:
        a: tensor of shape `(..., M, M)`; only its lower (with `lower`) or upper
            (default) triangle is read.
        b: tensor of shape `(M,)` (a vector) or `(..., M, K)`, as in `solve`.
        lower: whether `a` is lower triangular.

    Returns:
        A tensor of `solve`'s shape.

    Example:
        >>> ops.solve_triangular([[1.0, 0.0], [1.0, 2.0]], [1.0, 3.0], lower=True)  # [1., 1.]
    """)

svd = _primitive(
    "svd", lambda shapes, full_matrices=True, compute_uv=True: _check_matrices("svd", shapes[0]),
    _svd_rule,
    doc="""The singular value decomposition of each matrix: `x = u @ diag(s) @ vh`.

    Args:
        x: tensor of shape `(..., M, N)`.
        full_matrices: if True (default), `u` is `(..., M, M)` and `vh` is
            `(..., N, N)`; otherwise `(..., M, K)` and `(..., K, N)`, with
            `K = min(M, N)`.
        compute_uv: if False, only `s` is computed and returned.

    Returns:
        A tuple `(u, s, vh)`, or `s` alone when not `compute_uv`: the singular
        values `s` of shape `(..., K)`, descending. Each pair of singular
        vectors is unique only up to a common sign.

    Example:
        >>> s = ops.svd([[3.0, 0.0], [0.0, 4.0]], compute_uv=False)  # [4., 3.]
    """)


# --------------------------------------------------------------- composites


def _matrix_transpose(x):
    axes = list(range(len(_B.shape(x))))
    axes[-2], axes[-1] = axes[-1], axes[-2]
    return _B.transpose(x, axes)


def _epsilon(x):
    return _EPSILON.get(standardize_dtype(_B.dtype(x)), _EPSILON["float32"])


def _reciprocal_above(s, cutoff):
    """1 / s where s > cutoff, else 0 (the pseudo-inverse of singular values)."""
    large = _B.greater(s, cutoff)
    return _B.where(large, _B.divide(1.0, _B.where(large, s, 1.0)), 0.0)


def _relative_cutoff(s, rcond):
    """`rcond` times the largest of the singular values `s` (last axis), keepdims."""
    return _B.multiply(_B.max(s, axis=-1, keepdims=True), rcond)


@symbolic_or
def logdet(x):
    """The natural log of the determinant of each square matrix.

    Keras defines it for Hermitian positive-definite matrices, whose
    determinant is positive; it is computed from `slogdet`, so it does not
    overflow. A negative determinant gives NaN (the log of a negative
    number, as `torch.logdet`), a singular matrix -inf.

    Args:
        x: tensor of shape `(..., M, M)`.

    Returns:
        A tensor of shape `(...,)`.

    Example:
        >>> ops.logdet([[2.0, 0.0], [0.0, 3.0]])  # log(6) = 1.7917595
    """
    sign, log_abs_det = slogdet(x)
    return _B.where(_B.less(sign, 0), math.nan, log_abs_det)


@symbolic_or
def cholesky_inverse(x, upper=False):
    """The inverse of a symmetric positive-definite matrix from its Cholesky factor.

    Args:
        x: tensor of shape `(..., M, M)`: the factor `L` (lower triangular,
            `A = L @ L^T`) of the matrix `A` to invert, or with `upper` the
            factor `U` (upper triangular, `A = U^T @ U`), as `cholesky` returns.
        upper: whether `x` is the upper-triangular factor.

    Returns:
        A tensor of shape `(..., M, M)`: the inverse of `A`.

    Example:
        >>> a = [[4.0, 2.0], [2.0, 5.0]]
        >>> ops.cholesky_inverse(ops.cholesky(a))  # ops.inv(a)
    """
    x = _floating(x)
    shape = _shape(x)
    _check_matrices("cholesky_inverse", shape, square=True)
    identity = _B.eye(shape[-1], dtype=_B.dtype(x))
    factor_inverse = solve_triangular(x, identity, lower=not upper)
    if upper:  # A^-1 = U^-1 U^-T
        return _B.matmul(factor_inverse, _matrix_transpose(factor_inverse))
    return _B.matmul(_matrix_transpose(factor_inverse), factor_inverse)  # L^-T L^-1


@symbolic_or
def pinv(x, rcond=None):
    """The Moore-Penrose pseudo-inverse of each matrix, from its SVD.

    Args:
        x: tensor of shape `(..., M, N)`.
        rcond: singular values at most `rcond` times the largest one (of each
            matrix) count as zero. None (default): `max(M, N)` times the
            dtype's machine epsilon (NumPy's `rtol=None` and torch's default).

    Returns:
        A tensor of shape `(..., N, M)`.

    Example:
        >>> a = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
        >>> ops.matmul(ops.pinv(a), a)  # the 2x2 identity
    """
    x = _floating(x)
    shape = _shape(x)
    _check_matrices("pinv", shape)
    if rcond is None:
        rcond = max(shape[-2:]) * _epsilon(x)
    u, s, vh = svd(x, full_matrices=False)
    s_inverse = _reciprocal_above(s, _relative_cutoff(s, rcond))
    # V diag(1/s) U^T: scale the rows of U^T.
    scaled_u_t = _B.multiply(_B.expand_dims(s_inverse, -1), _matrix_transpose(u))
    return _B.matmul(_matrix_transpose(vh), scaled_u_t)


@symbolic_or
def matrix_rank(x, tol=None):
    """The rank of each matrix: how many of its singular values exceed `tol`.

    Args:
        x: tensor of shape `(..., M, N)`.
        tol: absolute threshold (a number, or a tensor of shape `(...,)`).
            None (default): the largest singular value times `max(M, N)` times
            the dtype's machine epsilon, as NumPy.

    Returns:
        An int32 tensor of shape `(...,)`.

    Example:
        >>> ops.matrix_rank([[1.0, 2.0], [2.0, 4.0]])  # 1
    """
    x = _floating(x)
    shape = _shape(x)
    _check_matrices("matrix_rank", shape)
    s = svd(x, compute_uv=False)
    if tol is None:
        threshold = _relative_cutoff(s, max(shape[-2:]) * _epsilon(x))
    elif type(tol) in (int, float):
        threshold = tol
    else:
        threshold = _B.expand_dims(_B.cast(_tensor(tol), _B.dtype(s)), -1)
    return _B.cast(_B.sum(_B.cast(_B.greater(s, threshold), "int32"), axis=-1), "int32")


@symbolic_or
def lstsq(a, b, rcond=None):
    """The least-squares solution `x` of `a @ x = b`, of minimal norm.

    Unlike `numpy.linalg.lstsq` (which also returns residuals, rank and
    singular values) this returns the solution alone, as Keras does.

    Args:
        a: matrix of shape `(M, N)`.
        b: tensor of shape `(M,)` or `(M, K)`.
        rcond: singular values of `a` at most `rcond` times the largest one
            count as zero (a negative value: machine epsilon). None (default):
            machine epsilon times `max(M, N)`, as NumPy.

    Returns:
        A tensor of shape `(N,)` or `(N, K)`.

    Example:
        >>> ops.lstsq([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [1.0, 1.0, 2.0])  # [1., 1.]
    """
    dtype = _float_dtype(result_type(_B.dtype(_tensor(a)), _B.dtype(_tensor(b))))
    a, b = _B.convert_to_tensor(a, dtype), _B.convert_to_tensor(b, dtype)
    a_shape, b_shape = _shape(a), _shape(b)
    if len(a_shape) != 2:
        raise ValueError(f"lstsq: expected `a` of rank 2. Received: a.shape={a_shape}")
    if len(b_shape) not in (1, 2):
        raise ValueError(f"lstsq: expected `b` of rank 1 or 2. Received: b.shape={b_shape}")
    if b_shape[0] != a_shape[0]:
        raise ValueError(
            "lstsq: `a` and `b` must have as many rows: expected b.shape[0] == a.shape[0]. "
            f"Received: a.shape={a_shape}, b.shape={b_shape}")
    epsilon = _epsilon(a)
    if rcond is None:
        rcond = epsilon * max(a_shape)
    elif rcond < 0:
        rcond = epsilon
    vector = len(b_shape) == 1
    if vector:
        b = _B.expand_dims(b, -1)
    u, s, vh = svd(a, full_matrices=False)
    s_inverse = _reciprocal_above(s, _relative_cutoff(s, rcond))
    # V diag(1/s) U^T b
    x = _B.matmul(_matrix_transpose(vh),
                  _B.multiply(_B.expand_dims(s_inverse, -1), _B.matmul(_matrix_transpose(u), b)))
    return _B.squeeze(x, axis=-1) if vector else x


# ------------------------------------------------------------------- norm


def _axes(axis, ndim):
    """`axis` (int or tuple) as a tuple of non-negative ints, or ValueError."""
    try:
        axes = (operator.index(axis),)
    except TypeError:
        axes = tuple(operator.index(a) for a in axis)
    if len(axes) not in (1, 2):
        raise ValueError(
            "norm: `axis` must be an int (vector norms) or a pair of ints (matrix norms). "
            f"Received: axis={axis!r}")
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"norm: `axis` out of range for a tensor of rank {ndim}. "
                             f"Received: axis={axis!r}")
    axes = tuple(a % ndim for a in axes)
    if len(axes) == 2 and axes[0] == axes[1]:
        raise ValueError(
            f"norm: the two axes of a matrix norm must differ. Received: axis={axis!r}")
    return axes


def _vector_norm(x, ord, axis, keepdims):
    if ord is None or ord == 2:
        return _B.sqrt(_B.sum(_B.square(x), axis=axis, keepdims=keepdims))
    if isinstance(ord, str):
        raise ValueError(f"norm: `ord` {ord!r} is a matrix norm, but `axis` names one axis "
                         f"(a vector norm). Received: ord={ord!r}; expected None, a number, inf "
                         "or -inf, or a pair of axes")
    if ord == math.inf:
        return _B.max(_B.abs(x), axis=axis, keepdims=keepdims)
    if ord == -math.inf:
        return _B.min(_B.abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:  # the count of nonzero entries
        return _B.sum(_B.cast(_B.not_equal(x, 0), _B.dtype(x)), axis=axis, keepdims=keepdims)
    if ord == 1:
        return _B.sum(_B.abs(x), axis=axis, keepdims=keepdims)
    try:
        p = float(ord)
    except (TypeError, ValueError):
        raise ValueError(f"norm: unknown `ord`. Received: ord={ord!r}; expected None, "
                         "a number, inf or -inf for a vector norm") from None
    return _B.power(_B.sum(_B.power(_B.abs(x), p), axis=axis, keepdims=keepdims), 1.0 / p)


def _matrix_norm(x, ord, axes, keepdims):
    row_axis, column_axis = axes
    if ord is None or ord == "fro":
        return _B.sqrt(_B.sum(_B.square(x), axis=axes, keepdims=keepdims))
    if ord in ("nuc", 2, -2):
        ndim = len(_B.shape(x))
        rest = [a for a in range(ndim) if a not in axes]
        s = svd(_B.transpose(x, rest + [row_axis, column_axis]), compute_uv=False)
        reduce = _B.sum if ord == "nuc" else _B.max if ord == 2 else _B.min
        result = reduce(s, axis=-1)
        if keepdims:
            for a in sorted(axes):
                result = _B.expand_dims(result, a)
        return result
    if ord in (1, -1):  # the largest (smallest) column sum
        sum_axis, extreme_axis = row_axis, column_axis
    elif ord in (math.inf, -math.inf):  # the largest (smallest) row sum
        sum_axis, extreme_axis = column_axis, row_axis
    else:
        raise ValueError(
            f"norm: unknown `ord` for a matrix norm. Received: ord={ord!r}; expected one of "
            f"{', '.join(repr(o) for o in _MATRIX_ORDS)}")
    extreme = _B.max if ord > 0 else _B.min
    result = extreme(_B.sum(_B.abs(x), axis=sum_axis, keepdims=True), axis=extreme_axis,
                     keepdims=True)
    return result if keepdims else _B.squeeze(result, axis=axes)


@symbolic_or
def norm(x, ord=None, axis=None, keepdims=False):
    """A vector or matrix norm, as `numpy.linalg.norm`.

    Args:
        x: input tensor.
        ord: the norm. Vector norms (`axis` an int, or `x` 1-D): None or 2
            (Euclidean), inf (`max(abs(x))`), -inf (`min(abs(x))`), 0 (the count
            of nonzero entries), any other number p (`sum(abs(x)**p)**(1/p)`).
            Matrix norms (`axis` a pair, or `x` 2-D): None or "fro"
            (Frobenius), "nuc" (the sum of singular values), inf / -inf (the
            largest / smallest row sum of `abs(x)`), 1 / -1 (column sum), 2 / -2
            (the largest / smallest singular value).
        axis: None, an int or a pair of ints. None: with `ord` None, the
            2-norm of all entries whatever the rank; otherwise `x` must be 1-D
            or 2-D.
        keepdims: keep the reduced axes, of size 1.

    Returns:
        The norms, of `x`'s float dtype (floatx for integers).

    Example:
        >>> x = ops.reshape(ops.arange(9, dtype="float32") - 4, (3, 3))
        >>> ops.norm(x)  # 7.745967
        >>> ops.norm(x, ord=1, axis=(0, 1))  # 7.0
    """
    x = _floating(x)
    ndim = len(_shape(x))
    if isinstance(ord, str) and ord not in ("fro", "nuc"):
        raise ValueError(f"norm: unknown `ord`. Received: ord={ord!r}; the string norms are "
                         "'fro' and 'nuc' (matrix norms)")
    if axis is None:
        if ord is None:
            return _B.sqrt(_B.sum(_B.square(x), axis=None, keepdims=keepdims))
        if ndim not in (1, 2):
            raise ValueError(
                f"norm: with `ord` given and axis=None, `x` must be 1-D or 2-D. Received: "
                f"ord={ord!r} for a tensor of rank {ndim}; pass `axis` to choose the axes")
        axis = tuple(range(ndim))
    axes = _axes(axis, ndim)
    if len(axes) == 1:
        return _vector_norm(x, ord, axes[0], keepdims)
    return _matrix_norm(x, ord, axes, keepdims)
