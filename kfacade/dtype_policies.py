"""Dtype policies (Keras 3's ``DTypePolicy``): the dtype a layer stores its
variables in, and the dtype it computes in.

``"mixed_float16"`` and ``"mixed_bfloat16"`` keep variables in float32 and
compute in 16 bits: inside such a layer's call, floating inputs are cast to
the compute dtype and float variables are read as it (``Variable.value``
under the layer's autocast), while optimizers update the float32 variables.
With ``"mixed_float16"``, ``compile`` wraps the optimizer in a
``LossScaleOptimizer`` so that small gradients do not underflow.
"""
from kfacade.backend.config import floatx
from kfacade.backend.dtypes import standardize_dtype

_MIXED = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}
_global_policy = [None]  # None: floatx()
#: True once a layer computes in another dtype than it stores: only then does
#: ``Variable.value`` look at the thread's autocast dtype.
autocast_in_use = [False]


class DTypePolicy:
    """A layer's dtype policy.

    Args:
        name: "float32", "float16", "bfloat16", "float64" (variables and
            computations in that dtype), or "mixed_float16" /
            "mixed_bfloat16" (float32 variables, 16-bit computations).
            Default: ``floatx()``.

    Raises:
        ValueError: an unknown name.
    """

    def __init__(self, name=None):
        name = floatx() if name is None else name
        if not isinstance(name, str):
            raise TypeError(f"'name' must be a string, such as 'mixed_float16'. Received: {name!r}")
        if name in _MIXED:
            self._compute, self._variable = _MIXED[name], "float32"
        else:
            try:
                dtype = standardize_dtype(name)
            except (ValueError, TypeError):
                dtype = None
            if dtype is None:
                raise ValueError(
                    f"Cannot convert {name!r} to a mixed precision DTypePolicy. Valid policies "
                    f"include 'mixed_float16', 'mixed_bfloat16', and the name of any float dtype "
                    f"such as 'float32'."
                )
            self._compute = self._variable = dtype
            name = dtype
        self._name = name

    @property
    def name(self):
        return self._name

    @property
    def compute_dtype(self):
        """The dtype of the layer's computations and outputs."""
        return self._compute

    @property
    def variable_dtype(self):
        """The dtype of the layer's variables."""
        return self._variable

    def get_config(self):
        return {"name": self._name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self):
        return hash(self._name)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'


def get(identifier):
    """A policy from a policy, a name, a Keras config dict, or None (the global one).

    A dtype object with a ``name`` (``numpy.float16``, ``torch.float16``...)
    counts as its name. Keras 2's saved ``{"class_name": "Policy", "config":
    {"name": ...}}`` is accepted.
    """
    if identifier is None:
        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        config = identifier.get("config", identifier)
        return DTypePolicy(config.get("name"))
    name = getattr(identifier, "name", identifier)
    if not isinstance(name, str):
        name = standardize_dtype(identifier)
    return DTypePolicy(name)


def set_dtype_policy(policy):
    """Sets the policy of every layer created afterwards without a ``dtype``.

    Args:
        policy: a ``DTypePolicy``, a policy name ("mixed_float16"...), or
            None for the default (``floatx()``).
    """
    _global_policy[0] = None if policy is None else get(policy)


def dtype_policy():
    """The global policy (``DTypePolicy(floatx())`` unless set)."""
    return _global_policy[0] if _global_policy[0] is not None else DTypePolicy(floatx())
