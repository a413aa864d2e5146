"""``MultiOptimizer``: a different optimizer for different variables (Keras 3.15's).

An ``OptimizerMap`` (or any callable ``variable -> optimizer``) picks, at
build time, the sub-optimizer of each trainable variable: keys of the map
are variable paths, matched exactly first and then as regular expressions
(``re.fullmatch``), with a default optimizer for the rest. Each step hands
every sub-optimizer its own variables and gradients; the sub-optimizers
keep their own learning rates, slots and step counts, and the
``MultiOptimizer`` only counts its steps and scales the loss.
"""
import re
from collections.abc import MutableMapping

from kfacade.engine import object_registry
from kfacade.optimizers.base_optimizer import Optimizer
from kfacade.optimizers.loss_scale_optimizer import LossScaleOptimizer


class OptimizerMap(MutableMapping):
    """A mapping from variable paths (or regular expressions) to optimizers.

    Looking a path up returns the optimizer of the key equal to it, else of
    the one key that ``re.fullmatch``es it, else `default_optimizer`: a key
    "encoder/.*" covers every variable under "encoder/", a key "encoder"
    only the path "encoder" itself. Calling the map on a variable looks up
    its ``path``.

    Args:
        default_optimizer: the optimizer of the variables no key matches.
        optimizer_map: an initial ``{key: optimizer}`` dict.

    Raises:
        TypeError: `default_optimizer` is not an optimizer, or `optimizer_map`
            is not a dict.

    Example:
        >>> optimizer_map = OptimizerMap(default_optimizer=SGD())
        >>> optimizer_map["encoder/.*"] = Adam()
        >>> optimizer_map["encoder/dense/kernel"].name
        'adam'
    """

    def __init__(self, default_optimizer, optimizer_map=None):
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError(
                "default_optimizer must be a Keras Optimizer instance. "
                f"Received: {default_optimizer}"
            )
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(f"optimizer_map must be a dictionary. Received: {optimizer_map}")
        self._default_optimizer = default_optimizer
        self._optimizer_map = optimizer_map or {}

    @property
    def default_optimizer(self):
        """The optimizer of the variables that no key matches."""
        return self._default_optimizer

    def __getitem__(self, key):
        """The optimizer for path `key` (see the class docstring).

        Raises:
            ValueError: no key equals `key` and several match it.
        """
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matches = [pattern for pattern in self._optimizer_map if re.fullmatch(pattern, key)]
        if len(matches) > 1:
            raise ValueError(f"Multiple optimizers assigned to variable {key}.")
        if matches:
            return self._optimizer_map[matches[0]]
        return self._default_optimizer

    def __setitem__(self, key, optimizer):
        """Maps `key` (a path or regular expression) to `optimizer`.

        Raises:
            ValueError: `key` is already mapped or not a string, or
                `optimizer` is not an optimizer, or is a ``LossScaleOptimizer``
                or a ``MultiOptimizer``.
        """
        if key in self._optimizer_map:
            raise ValueError(
                f"'{key}' already exists in the OptimizerMap with value "
                f"{self._optimizer_map[key]}. Please make sure to not use duplicated keys."
            )
        if not isinstance(key, str):
            raise ValueError(f"key must be a string. Received: {key}")
        _check_sub_optimizer(optimizer, at_build=False)
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key):
        del self._optimizer_map[key]

    def __len__(self):
        return len(self._optimizer_map)

    def __iter__(self):
        return iter(self._optimizer_map)

    def __call__(self, variable):
        return self[variable.path]

    def get_config(self):
        return {
            "default_optimizer": _serialize(self._default_optimizer),
            "optimizer_map": {key: _serialize(value) for key, value in self._optimizer_map.items()},
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        default = _deserialize(config["default_optimizer"], custom_objects)
        optimizer_map = {key: _deserialize(value, custom_objects)
                         for key, value in (config.get("optimizer_map") or {}).items()}
        return cls(default, optimizer_map)


class MultiOptimizer(Optimizer):
    """Delegates each variable to a sub-optimizer chosen by `optimizer_map`.

    The sub-optimizers are those of the map (its values, then its default)
    and, at build time, any other one the map or callable returns. Each
    sub-optimizer is built on its variables only and updates them in
    ``apply``; ``iterations`` counts the ``MultiOptimizer``'s own steps, and
    ``variables`` lists its own state then each sub-optimizer's. Its
    `loss_scale_factor` is also set on every sub-optimizer (replacing
    theirs), so that each unscales the gradients it receives.
    ``learning_rate`` raises AttributeError: set the rates on the
    sub-optimizers (``optimizers``).

    Args:
        optimizer_map: an ``OptimizerMap``, or a callable
            ``variable -> optimizer`` (a named function, to be serializable).
        loss_scale_factor: multiplies the loss in ``scale_loss``; the
            sub-optimizers divide their gradients by it.
        name: the optimizer's name. Defaults to "multi_optimizer".

    Example:
        >>> optimizer_map = OptimizerMap(SGD(), {"encoder/.*": Adam()})
        >>> model.compile(optimizer=MultiOptimizer(optimizer_map), loss="mse")
    """

    def __init__(self, optimizer_map, loss_scale_factor=None, name=None):
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name)
        self._optimizer_map = optimizer_map
        self._inner_optimizers = []
        candidates = list(optimizer_map.values()) if hasattr(optimizer_map, "values") else []
        candidates.append(getattr(optimizer_map, "default_optimizer", None))
        for optimizer in candidates:
            if optimizer is not None and not any(optimizer is o for o in self._inner_optimizers):
                optimizer.loss_scale_factor = loss_scale_factor
                self._inner_optimizers.append(optimizer)
        self._variable_to_optimizer = {}

    def build(self, var_list):
        """Picks each variable's sub-optimizer and builds each one on its variables.

        Raises:
            TypeError: `optimizer_map` is not callable.
            ValueError: it returns something other than an optimizer, or a
                ``LossScaleOptimizer`` or ``MultiOptimizer``.
        """
        if self.built:
            return
        if not callable(self._optimizer_map):
            raise TypeError(
                "`optimizer_map` must be an OptimizerMap or a callable returning the "
                f"optimizer of a variable. Received: {self._optimizer_map!r}"
            )
        var_list = list(var_list)
        groups = {id(o): [] for o in self._inner_optimizers}
        for variable in var_list:
            optimizer = self._optimizer_map(variable)
            _check_sub_optimizer(optimizer, at_build=True, variable=variable)
            if id(optimizer) not in groups:
                optimizer.loss_scale_factor = self.loss_scale_factor
                self._inner_optimizers.append(optimizer)
                groups[id(optimizer)] = []
            groups[id(optimizer)].append(variable)
            self._variable_to_optimizer[id(variable)] = optimizer
        for optimizer in self._inner_optimizers:
            if groups[id(optimizer)]:
                optimizer.build(groups[id(optimizer)])
        super().build(var_list)

    @property
    def optimizers(self):
        """The sub-optimizers, in the order their state is listed in ``variables``."""
        return self._inner_optimizers

    @property
    def variables(self):
        """Its own state (iterations, learning rate), then each sub-optimizer's."""
        variables = list(self._variables)
        for optimizer in self._inner_optimizers:
            variables.extend(optimizer.variables)
        return variables

    @property
    def learning_rate(self):
        raise AttributeError(
            "Learning rate cannot be accessed on a MultiOptimizer. "
            "Access the learning rate on the individual sub-optimizers instead."
        )

    @learning_rate.setter
    def learning_rate(self, value):
        raise AttributeError(
            "Learning rate cannot be set on a MultiOptimizer. "
            "Set the learning rate on the individual sub-optimizers instead."
        )

    lr = learning_rate  # Keras 2's name: no single rate either

    @property
    def loss_scale_factor(self):
        return getattr(self, "_loss_scale_factor", None)

    @loss_scale_factor.setter
    def loss_scale_factor(self, value):
        self._loss_scale_factor = value
        for optimizer in getattr(self, "_inner_optimizers", ()):
            optimizer.loss_scale_factor = value

    @property
    def iterations(self):
        """The steps this ``MultiOptimizer`` applied (an integer ``Variable``)."""
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        """Hands each sub-optimizer the gradients of its variables, then counts a step.

        Raises:
            ValueError: an unbuilt optimizer without variables, a gradient
                count that differs from the variables', or a variable it was
                not built with.
        """
        resolved = self._resolve_apply_arguments(grads, trainable_variables)
        if resolved is None:
            return
        grads, trainable_variables = resolved
        if len(grads) != len(self._trainable_variables_indices):
            raise ValueError(
                "Gradients must match trainable variables one-to-one. Received "
                f"{len(grads)} gradients and {len(self._trainable_variables_indices)} "
                "variables."
            )
        groups = {id(o): ([], []) for o in self._inner_optimizers}
        for grad, variable in zip(grads, trainable_variables):
            optimizer = self._variable_to_optimizer[id(variable)]  # known: checked above
            groups[id(optimizer)][0].append(grad)
            groups[id(optimizer)][1].append(variable)
        for optimizer in self._inner_optimizers:
            sub_grads, sub_variables = groups[id(optimizer)]
            if sub_grads:
                optimizer.apply(sub_grads, sub_variables)
        self._iterations.assign_add(1)

    def finalize_variable_values(self, var_list):
        """Lets each sub-optimizer finalize its variables (EMA averages)."""
        groups = {id(o): [] for o in self._inner_optimizers}
        for variable in var_list:
            optimizer = self._variable_to_optimizer.get(id(variable))
            if optimizer is not None:
                groups[id(optimizer)].append(variable)
        for optimizer in self._inner_optimizers:
            if groups[id(optimizer)]:
                optimizer.finalize_variable_values(groups[id(optimizer)])

    def get_config(self):
        optimizer_map = self._optimizer_map
        return {
            "optimizer_map": (_serialize(optimizer_map) if isinstance(optimizer_map, OptimizerMap)
                              else _serialize_function(optimizer_map)),
            "loss_scale_factor": self.loss_scale_factor,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["optimizer_map"] = _deserialize(config["optimizer_map"], custom_objects)
        return cls(**config)


def _check_sub_optimizer(optimizer, at_build, variable=None):
    """Raises Keras's errors for what cannot be a sub-optimizer."""
    if not isinstance(optimizer, Optimizer):
        if at_build:
            raise ValueError(f"Optimizer for variable {variable} is not an Optimizer instance.")
        raise ValueError(f"optimizer must be a Keras Optimizer instance. Received: {optimizer}")
    if isinstance(optimizer, LossScaleOptimizer):
        raise ValueError("LossScaleOptimizer cannot be used inside an MultiOptimizer."
                         if at_build else "optimizer cannot be LossScaleOptimizer.")
    if isinstance(optimizer, MultiOptimizer):
        raise ValueError("MultiOptimizer cannot be used inside an MultiOptimizer."
                         if at_build else "optimizer cannot be MultiOptimizer.")


# -------------------------------------------------------------- configs
def _serialize(obj):
    """Keras 3's ``{"module", "class_name", "config", "registered_name"}`` of an
    optimizer or ``OptimizerMap``."""
    cls = type(obj)
    built_in = cls is OptimizerMap or object_registry.get(
        "optimizers", cls.__name__.lower()) is cls
    return {"module": "keras.optimizers" if built_in else cls.__module__,
            "class_name": cls.__name__, "config": obj.get_config(),
            "registered_name": None if built_in else object_registry.get_registered_name(cls)}


def _serialize_function(fn):
    """Keras 3's form of a function: found again by its registered name."""
    return {"module": "builtins", "class_name": "function",
            "config": object_registry.get_registered_name(fn), "registered_name": "function"}


def _deserialize(config, custom_objects=None):
    """An optimizer, ``OptimizerMap`` or function from its Keras 3 (or
    ``{"class_name", "config"}``) dict; objects already built pass through."""
    if not isinstance(config, dict):
        return config
    class_name = str(config.get("class_name"))
    if class_name == "function":
        found = object_registry.get_registered_object(config["config"], custom_objects)
        if found is None:
            raise ValueError(
                f"Unknown function: {config['config']!r}. Register it with "
                "`kfacade.saving.register_keras_serializable()` or pass it in `custom_objects`."
            )
        return found
    if class_name == "OptimizerMap":
        return OptimizerMap.from_config(config.get("config", {}), custom_objects)
    found = None
    for name in (config.get("registered_name"), class_name):
        if name:
            found = object_registry.get_registered_object(name, custom_objects)
            if found is not None:
                break
    if found is None:
        found = object_registry.get("optimizers", class_name.split(">")[-1].lower())
    if found is None:
        raise ValueError(
            f"Could not interpret optimizer identifier: {class_name!r}. Pass custom "
            "classes in `custom_objects`."
        )
    return found.from_config(dict(config.get("config", {})), custom_objects=custom_objects)
