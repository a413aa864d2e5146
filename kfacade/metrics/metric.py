"""The ``Metric`` base class: state in non-trainable Variables, updated by assignment.

A metric's whole state is ``metric.variables``. ``update_state`` changes it
only through ``assign``/``assign_add`` and never reads a tensor's value on
the host, so the same code runs eagerly, inside ``tf.function``, and inside
``jax.jit`` where ``stateless_update_state`` runs it under a
``StatelessScope`` that records the assignments instead of applying them.
"""
from kfacade import initializers
from kfacade.backend.config import floatx
from kfacade.backend.dtypes import standardize_dtype
from kfacade.layers.layer import to_snake_case, unique_name
from kfacade.variables import StatelessScope, Variable


class Metric:
    """Base class of metrics.

    Args:
        name: a name (default: the snake-cased class name, made unique).
        dtype: the dtype of the state and the result (default floatx).

    Subclasses create their state in ``__init__`` with ``add_variable`` and
    implement ``update_state(...)`` (assignments only) and ``result()``.

    Example:
        >>> class CountPositives(Metric):
        ...     def __init__(self, name="count_positives", dtype=None):
        ...         super().__init__(name=name, dtype=dtype)
        ...         self.count = self.add_variable(shape=(), initializer="zeros", name="count")
        ...     def update_state(self, values):
        ...         self.count.assign_add(ops.sum(ops.cast(ops.greater(values, 0), self.dtype)))
        ...     def result(self):
        ...         return self.count.value
    """

    def __init__(self, name=None, dtype=None):
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self._dtype = standardize_dtype(getattr(dtype, "name", dtype)) or floatx()
        self._variables = []
        self._initial_values = []  # one NumPy array per own variable, for reset_state
        self._metrics = []  # sub-metrics whose variables are part of this one's state

    def __setattr__(self, name, value):
        # Sub-metrics assigned as attributes contribute their state.
        if isinstance(value, Metric) and value is not self:
            metrics = self.__dict__.get("_metrics")
            if metrics is None:
                raise RuntimeError(
                    f"{type(self).__name__}: call super().__init__() before assigning "
                    f"sub-metrics (attribute {name!r})."
                )
            if not any(m is value for m in metrics):
                metrics.append(value)
        super().__setattr__(name, value)

    @property
    def dtype(self):
        """The dtype of the state and the result."""
        return self._dtype

    # ---------------------------------------------------------------- state
    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="sum", name=None):
        """A new non-trainable state Variable, tracked in ``variables``.

        Args:
            shape: the variable's shape, e.g. ``()`` or ``(num_thresholds,)``.
            initializer: an initializer identifier (default "zeros");
                ``reset_state`` assigns its values again.
            dtype: default: the metric's dtype.
            aggregation: how replicas combine it under a distribution
                (default "sum": each replica counts its own samples, and
                the result reads the sums).
            name: the variable's name; its path is ``"<metric>/<name>"``.
        """
        if "_variables" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}: call super().__init__() before add_variable()."
            )
        dtype = standardize_dtype(dtype) or self.dtype
        shape = tuple(int(d) for d in shape)
        init = initializers.get(initializer)
        value = init(shape, dtype=dtype) if callable(init) else init
        name = name or f"variable_{len(self._variables)}"
        variable = Variable(value, shape=shape, dtype=dtype, trainable=False, name=name,
                            aggregation=aggregation)
        variable.path = f"{self.name}/{name}"
        self._variables.append(variable)
        self._initial_values.append(value)
        return variable

    def add_weight(self, *args, **kwargs):
        """``add_variable`` with Keras 2's (name first) or Keras 3's (shape first) arguments."""
        if args and isinstance(args[0], str):  # Keras 2: add_weight("tp", shape=(), ...)
            kwargs.setdefault("name", args[0])
            args = args[1:]
        names = ("shape", "initializer", "dtype", "name")
        kwargs.update(zip(names, args))
        kwargs.setdefault("shape", ())
        kwargs.setdefault("initializer", "zeros")
        if kwargs["initializer"] is None:
            kwargs["initializer"] = "zeros"
        kwargs.pop("synchronization", None)
        kwargs.pop("trainable", None)
        return self.add_variable(**kwargs)

    @property
    def variables(self):
        """Every state Variable: this metric's, then its sub-metrics'."""
        variables = list(self._variables)
        for metric in self._metrics:
            variables.extend(metric.variables)
        return variables

    def reset_state(self):
        """Assigns every state Variable its initial value."""
        for variable, value in zip(self._variables, self._initial_values):
            variable.assign(value)
        for metric in self._metrics:
            metric.reset_state()

    def reset_states(self):
        """Keras 2's name of ``reset_state``."""
        self.reset_state()

    # ------------------------------------------------------------ computing
    def update_state(self, *args, **kwargs):
        """Accumulates a batch into the state; subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_state().")

    def result(self):
        """The metric's value from the current state; subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def __call__(self, *args, **kwargs):
        """``update_state`` then ``result``."""
        self.update_state(*args, **kwargs)
        return self.result()

    # ------------------------------------------------------------ stateless
    def _check_values(self, metric_variables):
        if len(metric_variables) != len(self.variables):
            raise ValueError(
                f"Argument `metric_variables` must be a list of tensors corresponding 1:1 "
                f"to {type(self).__name__}().variables. Received list with length "
                f"{len(metric_variables)}, but expected {len(self.variables)} variables."
            )

    def stateless_update_state(self, metric_variables, *args, **kwargs):
        """The state values after ``update_state(*args, **kwargs)``, variables untouched.

        Args:
            metric_variables: one value per entry of ``variables``.

        Returns:
            A list of the new values, in the order of ``variables``.
        """
        self._check_values(metric_variables)
        mapping = list(zip(self.variables, metric_variables))
        with StatelessScope(mapping) as scope:
            self.update_state(*args, **kwargs)
        return [
            _first_not_none(scope.get_current_value(v), value) for v, value in mapping
        ]

    def stateless_result(self, metric_variables):
        """``result()`` computed from the given state values."""
        self._check_values(metric_variables)
        with StatelessScope(list(zip(self.variables, metric_variables))):
            return self.result()

    def stateless_reset_state(self):
        """The initial state values, variables untouched."""
        with StatelessScope() as scope:
            self.reset_state()
        return [_first_not_none(scope.get_current_value(v), v.value) for v in self.variables]

    # -------------------------------------------------------- serialization
    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def _first_not_none(a, b):
    return a if a is not None else b
