"""Dtype names: every dtype crosses the adapter contract as a string."""
import functools

import numpy as np

from kfacade.backend.config import floatx

FLOAT_TYPES = ("bfloat16", "float16", "float32", "float64")
INT_TYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
ALL_TYPES = FLOAT_TYPES + INT_TYPES + ("bool",)
_ALIASES = {"float": "float32", "int": "int64", "double": "float64", "half": "float16"}


def standardize_dtype(dtype):
    """The canonical name of `dtype` (a string, NumPy dtype or framework dtype).

    Raises:
        ValueError: `dtype` names no known dtype.
    """
    if dtype is None:
        return None
    if isinstance(dtype, str):
        name = _ALIASES.get(dtype, dtype)
    elif hasattr(dtype, "name") and isinstance(dtype.name, str):
        name = dtype.name  # np.dtype, tf.DType, jnp dtypes
    elif isinstance(dtype, type) and issubclass(dtype, (np.generic, float, int, bool)):
        name = np.dtype(dtype).name
    else:
        name = str(dtype).replace("torch.", "")  # torch.float32 -> float32
    name = _ALIASES.get(name, name)
    if name not in ALL_TYPES:
        raise ValueError(
            f"Invalid dtype. Received: dtype={dtype!r}; expected one of {ALL_TYPES}."
        )
    return name


def is_float_dtype(dtype):
    """True for a floating dtype name."""
    return standardize_dtype(dtype) in FLOAT_TYPES


#: bfloat16's largest finite value (NumPy has no bfloat16 to ask).
_BFLOAT16_MAX = 3.3895313892515355e38


def dtype_range(dtype):
    """(lowest, highest) finite value of `dtype`, as Python numbers.

    What ``nan_to_num`` puts for infinities and where ``saturate_cast`` clips.
    """
    dtype = standardize_dtype(dtype)
    if dtype == "bool":
        return 0, 1
    if dtype == "bfloat16":
        return -_BFLOAT16_MAX, _BFLOAT16_MAX
    if dtype in FLOAT_TYPES:
        info = np.finfo(dtype)
        return float(info.min), float(info.max)
    info = np.iinfo(dtype)
    return int(info.min), int(info.max)


# ------------------------------------------------------------ result dtypes
# The one table of result dtypes every adapter follows (Keras 3's rules,
# which adapt JAX's type promotion lattice). The table states the 64-bit
# results; the JAX adapter runs without x64 and narrows them as
# ``narrow_to_32_bits`` does (documented in the contract).

#: The Python scalar types, weak in promotion: an operand of these takes the
#: other operand's dtype when that dtype can hold it.
WEAK_INT, WEAK_FLOAT = "int", "float"

# Each dtype and the dtypes immediately above it; a result is the least
# common upper bound of the operands.
_LATTICE = {
    "bool": ("int",),
    "int": ("uint8", "int8"),
    "uint8": ("int16", "uint16"),
    "uint16": ("int32", "uint32"),
    "uint32": ("int64", "uint64"),
    "uint64": ("float",),
    "int8": ("int16",),
    "int16": ("int32",),
    "int32": ("int64",),
    "int64": ("float",),
    "float": ("bfloat16", "float16"),
    "bfloat16": ("float32",),
    "float16": ("float32",),
    "float32": ("float64",),
    "float64": (),
}


def _upper_bounds():
    bounds = {}

    def above(node):
        if node not in bounds:
            bounds[node] = {node}.union(*(above(up) for up in _LATTICE[node]))
        return bounds[node]

    for node in _LATTICE:
        above(node)
    return bounds


_UPPER_BOUNDS = _upper_bounds()
_WEAK = (WEAK_INT, WEAK_FLOAT)
_NARROWED = {"int64": "int32", "uint64": "uint32", "float64": "float32"}


def _node(operand):
    """The lattice node of a dtype, a Python scalar type or a Python scalar."""
    if operand is int or type(operand) is int:
        return WEAK_INT
    if operand is float or type(operand) is float:
        return WEAK_FLOAT
    if operand is bool or type(operand) is bool:
        return "bool"
    return standardize_dtype(operand)


@functools.lru_cache(maxsize=None)
def _result_type_of_nodes(nodes):
    if len(set(nodes)) == 1 and nodes[0] not in _WEAK:
        return nodes[0]
    common = set.intersection(*(_UPPER_BOUNDS[n] for n in nodes))
    bound = next(c for c in common if common <= _UPPER_BOUNDS[c])
    if bound in _WEAK:  # only Python scalars (or bool with an int): floatx's width
        bits = floatx()[-2:]
        return f"int{bits}" if bound == WEAK_INT else floatx()
    return bound


def result_type(*operands):
    """The dtype name of a binary (or n-ary) op's result over `operands`.

    Args:
        *operands: dtype names (or anything ``standardize_dtype`` reads), the
            Python types ``int``/``float``/``bool``, or Python scalars. A
            Python int or float is weak: it takes the other operand's dtype
            when that dtype is of its kind or wider (``int8 + 1 -> int8``,
            ``float16 + 1.0 -> float16``, ``int8 + 1.0 -> float32``); left
            without a dtype to join it becomes floatx's width (int32, float32).

    Returns:
        The 64-bit-faithful name: ``result_type("int32", "int64")`` is
        "int64" on every backend (JAX then narrows, see ``narrow_to_32_bits``).

    Example:
        >>> result_type("int8", "uint8")
        'int16'
        >>> result_type("bool", int)
        'int32'
    """
    return _result_type_of_nodes(tuple(_node(o) for o in operands))


def narrow_to_32_bits(dtype):
    """`dtype` as JAX without x64 stores it: int64/uint64/float64 become 32-bit."""
    return _NARROWED.get(dtype, dtype)


#: Binary ops on two bools that have no boolean meaning compute in int32
#: (as JAX does); ``subtract`` of two bools is refused, as NumPy refuses it.
BOOL_ARITHMETIC_DTYPE = "int32"


def true_divide_result_type(*operands):
    """Result dtype of ``divide``: the promoted dtype, made floating (weak float joins)."""
    return result_type(*operands, float)


# Reductions. The accumulating ones widen small integers so that a sum of
# int8 or bool does not wrap (Keras 3): bool/int8/int16 -> int32,
# uint8/uint16 -> uint32; the averaging ones give floats.
_ACCUMULATED = {"bool": "int32", "int8": "int32", "int16": "int32",
                "uint8": "uint32", "uint16": "uint32"}
_REDUCTION_KINDS = {
    "sum": "accumulate", "prod": "accumulate", "cumsum": "accumulate",
    "mean": "float", "var": "float", "logsumexp": "float",
    "max": "same", "min": "same",
    "argmax": "index", "argmin": "index",
    "any": "bool", "all": "bool",
}
REDUCTIONS = tuple(_REDUCTION_KINDS)


def reduction_result_type(op, dtype):
    """The dtype name of reduction `op` ("sum", "argmax", ...) over a tensor of `dtype`.

    - sum, prod, cumsum: bool/int8/int16 -> int32, uint8/uint16 -> uint32,
      other dtypes kept;
    - mean, var, logsumexp: floats kept, integers and bool -> floatx;
    - max, min: the input dtype; argmax, argmin: int32; any, all: bool.

    Raises:
        ValueError: `op` is not one of ``REDUCTIONS``.
    """
    dtype = standardize_dtype(dtype)
    kind = _REDUCTION_KINDS.get(op)
    if kind is None:
        raise ValueError(f"Unknown reduction. Received: op={op!r}; expected one of {REDUCTIONS}.")
    if kind == "accumulate":
        return _ACCUMULATED.get(dtype, dtype)
    if kind == "float":
        if dtype in FLOAT_TYPES:
            return dtype
        return floatx()
    if kind == "index":
        return "int32"
    if kind == "bool":
        return "bool"
    return dtype
