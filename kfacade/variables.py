"""Variables, and the stateless scope that makes stateful code pure.

A ``Variable`` owns the adapter's native storage (``tf.Variable``,
``torch.nn.Parameter``, ``jax.Array``) and is read through ``.value``.
Inside a ``StatelessScope`` reads return the values the scope was given and
assignments are recorded in the scope instead of changing the variable: this
is how one stateful implementation of a layer, an optimizer or a metric also
serves as the pure function that ``jax.jit`` compiles (``stateless_call``).
``StatelessScope`` and ``VariableBase`` live in ``kfacade/backend/state.py``
(adapters may import that floor); they are re-exported here.
"""
import itertools

import numpy as np

from kfacade.backend.active import adapter as _B
from kfacade.backend.config import floatx
from kfacade.backend.dtypes import standardize_dtype
from kfacade.dtype_policies import autocast_in_use
from kfacade.engine.keras_tensor import KerasTensor
from kfacade.engine.name_scope import scoped
from kfacade.backend.state import (  # noqa: F401 (re-exported: their public home)
    StatelessScope,
    VariableBase,
    active_stateless_scope,
    local as _local,
    refuse_in_abstract_run,
)

# A shared counter (itertools.count's next() is atomic), so automatic
# variable names stay unique across threads.
_uid = itertools.count()

#: The adapter's in-place add and subtract (contract.OPTIONAL_HOOKS), or None.
_variable_assign_add = getattr(_B, "variable_assign_add", None)
_variable_assign_sub = getattr(_B, "variable_assign_sub", None)

_AGGREGATIONS = ("none", "sum", "mean", "only_first_replica")
_AUTOCAST_DTYPES = ("float16", "bfloat16", "float32", "float64")


class Variable(VariableBase):
    """A named, mutable tensor with Keras's attributes.

    Args:
        initializer: an initializer (callable ``(shape, dtype) -> array``) or
            an initial value (array-like or native tensor).
        shape: the shape, required when `initializer` is callable.
        dtype: dtype name; defaults to floatx for callables, else the value's.
        trainable: whether optimizers update it.
        name: a name for weight files and messages.
        autocast: read as a mixed-precision layer's compute dtype inside its
            call (float variables only).
        aggregation: how replicas combine it under a distribution: "none"
            (the default; model and optimizer state, kept identical on every
            replica), "sum" (metric state: a local copy per replica, summed
            when read), "mean" or "only_first_replica" (Keras's names).

    Example:
        >>> v = kfacade.Variable(np.zeros((2, 3)), name="w")
        >>> v.assign(np.ones((2, 3)))
    """

    __array_priority__ = 100  # NumPy defers to our operators

    def __init__(self, initializer, shape=None, dtype=None, trainable=True, name=None,
                 aggregation="none", autocast=True):
        refuse_in_abstract_run("a new Variable")  # it would keep an abstract value
        self.name = name or f"variable_{next(_uid)}"
        self.path = scoped(self.name)  # "block/w" inside name_scope("block")
        self.trainable = bool(trainable)
        self.autocast = bool(autocast)
        if aggregation not in _AGGREGATIONS:
            raise ValueError(
                f"Variable {self.name!r}: invalid aggregation {aggregation!r}; expected one "
                f"of {sorted(_AGGREGATIONS)}."
            )
        self.aggregation = aggregation
        if callable(initializer):
            if shape is None:
                raise ValueError(
                    f"Variable {self.name!r}: a callable initializer needs a shape. "
                    f"Received: shape=None"
                )
            dtype = standardize_dtype(dtype) or floatx()
            value = initializer(tuple(shape), dtype=dtype)
        else:
            value = initializer
            if dtype is None:
                dtype = (
                    _B.dtype(value) if _B.is_tensor(value)
                    else standardize_dtype(np.asarray(value).dtype)
                )
            dtype = standardize_dtype(dtype)
        if _B.is_tensor(value) or isinstance(value, Variable):
            value = _B.convert_to_tensor(value, dtype=dtype)
        else:
            value = np.asarray(value, dtype=dtype if dtype != "bfloat16" else None)
        self._dtype = dtype
        self._shape = tuple(
            int(d) for d in (_B.shape(value) if _B.is_tensor(value) else value.shape)
        )
        if shape is not None and tuple(shape) != self._shape:
            raise ValueError(
                f"Variable {self.name!r}: the initial value has shape {self._shape}, "
                f"expected {tuple(shape)}."
            )
        self._handle = _B.variable_create(value, dtype, self.trainable, self.name)

    # ------------------------------------------------------------- reads
    @property
    def value(self):
        """The current value as a native tensor (the scope's inside a StatelessScope).

        Inside the call of a mixed-precision layer, a float variable with
        ``autocast`` reads as the layer's compute dtype (e.g. float16).
        """
        value = self._handle
        scope = _local.scope
        if scope is not None:
            scoped = scope.get_current_value(self)
            if scoped is not None:
                value = scoped
        if autocast_in_use[0]:
            dtype = _local.autocast
            if dtype is not None and self.autocast and dtype != self._dtype \
                    and self._dtype in _AUTOCAST_DTYPES:
                reads = _local.autocast_reads
                if reads is not None and id(self) in reads:
                    return reads[id(self)]
                return _B.cast(value, dtype)
        return value

    def numpy(self):
        """The current value as a NumPy array."""
        return _B.convert_to_numpy(self.value)

    @property
    def shape(self):
        return self._shape

    @property
    def dtype(self):
        return self._dtype

    @property
    def ndim(self):
        return len(self._shape)

    @property
    def handle(self):
        """The adapter's native storage (what a stateful step differentiates)."""
        return self._handle

    # ------------------------------------------------------------ writes
    def assign(self, value):
        """Sets the value; inside a StatelessScope the scope records it instead.

        Raises:
            ValueError: `value` has another shape than the variable.
        """
        if isinstance(value, Variable):
            value = value.value
        value = _B.convert_to_tensor(value, dtype=self._dtype)
        if _B.shape(value) != self._shape:
            raise ValueError(
                f"Cannot assign a value of shape {tuple(_B.shape(value))} to variable "
                f"{self.path!r} of shape {self._shape}."
            )
        scope = _local.scope
        if scope is not None:
            scope.add_update(self, value)
        else:
            self._handle = _B.variable_assign(self._handle, value)
        return value

    def assign_add(self, delta):
        """Adds `delta` to the value (in place where the adapter's
        ``variable_assign_add`` hook takes it: outside a StatelessScope)."""
        if _variable_assign_add is not None and _local.scope is None \
                and self._in_place(_variable_assign_add, delta):
            return self._handle
        return self.assign(_B.add(self.value, delta))

    def assign_sub(self, delta):
        """Subtracts `delta` from the value (in place as ``assign_add``)."""
        if _variable_assign_sub is not None and _local.scope is None \
                and self._in_place(_variable_assign_sub, delta):
            return self._handle
        return self.assign(_B.subtract(self.value, delta))

    def _in_place(self, hook, delta):
        """Whether the adapter's in-place `hook` took `delta`."""
        if isinstance(delta, Variable):
            delta = delta.value
        handle = hook(self._handle, delta)
        if handle is None:
            return False
        self._handle = handle
        return True

    # ------------------------------------------------ tensor behaviour
    def __array__(self, dtype=None, copy=None):
        array = self.numpy()
        return array.astype(dtype) if dtype is not None else array

    def __repr__(self):
        return (
            f"<Variable path={self.path}, shape={self._shape}, dtype={self._dtype}, "
            f"value={self.numpy()!r}>"
        )

    def __len__(self):
        return self._shape[0]

    def __getitem__(self, key):
        return self.value[key]

    def __neg__(self):
        return _B.negative(self.value)

    def __add__(self, other):
        if isinstance(other, KerasTensor):
            return NotImplemented  # the symbolic operand builds the graph node
        return _B.add(self.value, other)

    def __radd__(self, other):
        if isinstance(other, KerasTensor):
            return NotImplemented  # the symbolic operand builds the graph node
        return _B.add(other, self.value)

    def __sub__(self, other):
        if isinstance(other, KerasTensor):
            return NotImplemented  # the symbolic operand builds the graph node
        return _B.subtract(self.value, other)

    def __rsub__(self, other):
        if isinstance(other, KerasTensor):
            return NotImplemented  # the symbolic operand builds the graph node
        return _B.subtract(other, self.value)

    def __mul__(self, other):
        if isinstance(other, KerasTensor):
            return NotImplemented  # the symbolic operand builds the graph node
        return _B.multiply(self.value, other)

    def __rmul__(self, other):
        if isinstance(other, KerasTensor):
            return NotImplemented  # the symbolic operand builds the graph node
        return _B.multiply(other, self.value)

    def __truediv__(self, other):
        if isinstance(other, KerasTensor):
            return NotImplemented  # the symbolic operand builds the graph node
        return _B.divide(self.value, other)

    def __rtruediv__(self, other):
        if isinstance(other, KerasTensor):
            return NotImplemented  # the symbolic operand builds the graph node
        return _B.divide(other, self.value)

    def __pow__(self, other):
        if isinstance(other, KerasTensor):
            return NotImplemented  # the symbolic operand builds the graph node
        return _B.power(self.value, other)

    def __matmul__(self, other):
        if isinstance(other, KerasTensor):
            return NotImplemented  # the symbolic operand builds the graph node
        return _B.matmul(self.value, other)

    def __rmatmul__(self, other):
        if isinstance(other, KerasTensor):
            return NotImplemented  # the symbolic operand builds the graph node
        return _B.matmul(other, self.value)

    __hash__ = object.__hash__
