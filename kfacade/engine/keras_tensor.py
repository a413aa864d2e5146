"""Symbolic tensors: a shape and a dtype, with the history that built them.

Functional models are built by calling layers and ops on ``KerasTensor``s;
each one remembers the operation and node that produced it
(``_keras_history``), which is what ``Model(inputs, outputs)`` walks back.
"""


#: The ``kfacade.ops`` function behind each operator, by op name. kfacade.ops
#: fills it when imported (it sits a floor above this module).
_operator_ops = {}

#: The op names that KerasTensor's operators call.
OPERATOR_OP_NAMES = (
    "add", "subtract", "multiply", "divide", "power", "negative", "abs", "matmul",
    "getitem", "less", "less_equal", "greater", "greater_equal",
)


def register_operator_ops(ops_by_name):
    """Registers the ops behind ``+``, ``*``, ``[]``, ``<`` ... on KerasTensors."""
    missing = set(OPERATOR_OP_NAMES) - set(ops_by_name)
    if missing:
        raise ValueError(f"register_operator_ops: no op given for {sorted(missing)}")
    _operator_ops.update(ops_by_name)


class KerasTensor:
    """A symbolic tensor: static shape (``None`` for unknown dims) and dtype.

    Args:
        shape: tuple of ints or None.
        dtype: dtype name.
        name: an optional name (``Input(name=...)``).
    """

    def __init__(self, shape, dtype="float32", name=None, record_history=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = dtype
        self.name = name
        self._keras_history = record_history  # (operation, node_index, tensor_index)
        self._keras_mask = None  # a KerasTensor when a mask travels with it

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        name = f", name={self.name}" if self.name else ""
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}{name}>"

    def __bool__(self):
        raise TypeError(
            "A symbolic KerasTensor has no truth value: it is a placeholder for "
            "values that exist only when the model runs. Use kfacade.ops.where or "
            "ops.cond-like logic inside a layer's call() instead."
        )

    def __len__(self):
        if self.shape and self.shape[0] is not None:
            return self.shape[0]
        raise TypeError(f"len() of a KerasTensor of unknown leading size {self.shape}")

    def __iter__(self):
        raise TypeError(
            "A KerasTensor cannot be iterated over: its values are not known "
            "until the model runs."
        )

    # Arithmetic builds graph nodes through the kfacade.ops functions that
    # kfacade.ops registers here (``register_operator_ops``) when it loads.
    def _op(self, name, *args):
        return _operator_ops[name](*args)

    def __add__(self, other):
        return self._op("add", self, other)

    def __radd__(self, other):
        return self._op("add", other, self)

    def __sub__(self, other):
        return self._op("subtract", self, other)

    def __rsub__(self, other):
        return self._op("subtract", other, self)

    def __mul__(self, other):
        return self._op("multiply", self, other)

    def __rmul__(self, other):
        return self._op("multiply", other, self)

    def __truediv__(self, other):
        return self._op("divide", self, other)

    def __rtruediv__(self, other):
        return self._op("divide", other, self)

    def __pow__(self, other):
        return self._op("power", self, other)

    def __neg__(self):
        return self._op("negative", self)

    def __abs__(self):
        return self._op("abs", self)

    def __matmul__(self, other):
        return self._op("matmul", self, other)

    def __rmatmul__(self, other):
        return self._op("matmul", other, self)

    def __getitem__(self, key):
        return self._op("getitem", self, key)

    def __lt__(self, other):
        return self._op("less", self, other)

    def __le__(self, other):
        return self._op("less_equal", self, other)

    def __gt__(self, other):
        return self._op("greater", self, other)

    def __ge__(self, other):
        return self._op("greater_equal", self, other)

    __hash__ = object.__hash__


def is_keras_tensor(x):
    """True if `x` is a symbolic KerasTensor."""
    return isinstance(x, KerasTensor)
