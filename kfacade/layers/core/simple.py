"""Small core layers: Activation, Dropout, Flatten, Reshape, Lambda."""
import binascii
import codecs
import inspect
import marshal
import math
import types

from kfacade import activations, ops
from kfacade.backend.active import adapter as _B
from kfacade.layers.layer import Layer
from kfacade.random import SeedGenerator


class Activation(Layer):
    """Applies an activation function (name or callable) to its input."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Dropout(Layer):
    """Sets a fraction `rate` of inputs to 0 during training, scaling the rest by 1/(1-rate).

    Args:
        rate: the fraction to drop, in [0, 1] (1 drops everything, as Keras allows).
        noise_shape: shape of the binary mask broadcast over the input
            (None entries take the input's size).
        seed: an int for reproducible masks.

    Active only when called with ``training=True`` (as ``fit`` does).
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(
                f"Invalid value received for argument `rate`. Expected a float value "
                f"between 0 and 1. Received: rate={rate}"
            )
        self.rate = rate
        self.noise_shape = noise_shape
        self.seed = seed
        self.seed_generator = SeedGenerator(seed, name=f"{self.name}_seed")
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            return ops.dropout(inputs, self.rate, noise_shape=self._noise_shape(inputs), seed=self.seed_generator)
        return inputs

    def _noise_shape(self, inputs):
        if self.noise_shape is None:
            return None
        shape = _B.shape(inputs)
        return tuple(shape[i] if d is None else d for i, d in enumerate(self.noise_shape))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed}


class Flatten(Layer):
    """Flattens every axis but the batch axis: ``(batch, ...) -> (batch, prod(...))``."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        from kfacade.backend.config import standardize_data_format

        self.data_format = standardize_data_format(data_format)
        self.built = True

    def call(self, inputs):
        shape = _B.shape(inputs)
        if self.data_format == "channels_first" and len(shape) > 2:
            inputs = ops.transpose(inputs, (0,) + tuple(range(2, len(shape))) + (1,))
        return ops.reshape(inputs, (shape[0], math.prod(shape[1:])))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], size)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes each sample to `target_shape` (one entry may be -1).

    Raises:
        ValueError: the input's size does not fit the target shape.
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(target_shape)
        if sum(1 for d in self.target_shape if d == -1) > 1:
            raise ValueError(
                f"Reshape: there must be at most one unknown dimension (-1) in "
                f"target_shape. Received: target_shape={self.target_shape}"
            )
        self.built = True

    def _resolve(self, input_shape):
        size = math.prod(d for d in input_shape[1:]) if all(d is not None for d in input_shape[1:]) else None
        known = math.prod(d for d in self.target_shape if d != -1)
        if size is None:
            return tuple(None if d == -1 else d for d in self.target_shape)
        if -1 in self.target_shape:
            if known == 0 or size % known:
                raise ValueError(self._mismatch(input_shape))
            return tuple(size // known if d == -1 else d for d in self.target_shape)
        if known != size:
            raise ValueError(self._mismatch(input_shape))
        return self.target_shape

    def _mismatch(self, input_shape):
        return (
            f"Layer {self.name!r}: the input of shape {tuple(input_shape)} cannot be reshaped "
            f"to target_shape={self.target_shape} (total sizes differ)."
        )

    def call(self, inputs):
        shape = _B.shape(inputs)
        return ops.reshape(inputs, (shape[0],) + self._resolve(shape))

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self._resolve(input_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}


class Lambda(Layer):
    """Wraps a function of tensors as a layer: ``Lambda(lambda x: x ** 2)``.

    Args:
        function: called as ``function(inputs, **arguments)``, with ``mask=``
            and ``training=`` added when its signature names them.
        output_shape: the output's shape without the batch axis (a tuple, or
            a list of tuples for several outputs), or a function of the
            input shape returning the full output shape; by default the shape
            is inferred by running `function` on symbolic inputs.
        mask: a mask to give the output, or a function ``(inputs, mask) ->
            mask``; with one, the layer supports masking.
        arguments: extra keyword arguments for `function`.

    Serialization, as Keras 3: a Python lambda is saved as its bytecode
    (``{"class_name": "__lambda__", ...}``), which ``from_config`` restores
    only outside safe mode (``safe_mode=False``, or
    ``kfacade.config.enable_unsafe_deserialization()``), since running
    saved bytecode runs arbitrary code; a named function is saved by name
    and found again in ``custom_objects``, the registered objects or the
    activations. Keras 2's config form (``function_type``) loads as well.

    Example:
        >>> Lambda(lambda x: ops.concatenate([x, x], axis=-1), output_shape=(8,))
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise ValueError(f"Lambda needs a callable. Received: function={function!r}")
        self.function = function
        if isinstance(output_shape, list) and all(isinstance(d, (int, type(None)))
                                                  for d in output_shape):
            output_shape = tuple(output_shape)
        self._output_shape = output_shape
        self.mask = mask
        self.supports_masking = mask is not None
        self.arguments = arguments or {}
        try:
            parameters = inspect.signature(function).parameters
        except (TypeError, ValueError):  # builtins without a signature
            parameters = {}
        self._fn_expects_mask_arg = "mask" in parameters
        self._fn_expects_training_arg = "training" in parameters
        self.built = True
        if output_shape is not None:
            self._has_shape_rule = True

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_expects_mask_arg:
            kwargs["mask"] = mask
        if self._fn_expects_training_arg:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        first = input_shape
        while isinstance(first, (list, tuple)) and first and isinstance(first[0], (list, tuple)):
            first = first[0]
        batch = first[0] if first else None

        def add_batch(shape):
            if isinstance(shape, (list, tuple)) and shape and \
                    isinstance(shape[0], (list, tuple)):
                return [add_batch(s) for s in shape]
            return (batch,) + tuple(shape)

        return add_batch(self._output_shape)

    def compute_mask(self, inputs, previous_mask=None):
        if callable(self.mask):
            return self.mask(inputs, previous_mask)
        return self.mask

    def get_config(self):
        config = {**super().get_config(), "function": _serialize_function(self.function)}
        if self._output_shape is not None:
            config["output_shape"] = (_serialize_function(self._output_shape)
                                      if callable(self._output_shape) else
                                      _listed_shape(self._output_shape))
        if self.mask is not None:
            config["mask"] = _serialize_function(self.mask) if callable(self.mask) else self.mask
        config["arguments"] = self.arguments
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """A Lambda from ``get_config()`` (Keras 3's or Keras 2's form).

        Raises:
            ValueError: the config holds a lambda's bytecode and safe mode is on.
        """
        config = dict(config)
        function_type = config.pop("function_type", None)
        output_shape_type = config.pop("output_shape_type", None)
        config.pop("module", None)
        config.pop("output_shape_module", None)
        config["function"] = _deserialize_function(config["function"], function_type,
                                                   custom_objects, safe_mode)
        if config.get("output_shape") is not None:
            shape = config["output_shape"]
            if output_shape_type in ("lambda", "function") or isinstance(shape, dict):
                config["output_shape"] = _deserialize_function(shape, output_shape_type,
                                                               custom_objects, safe_mode)
            else:
                config["output_shape"] = _tupled_shape(shape)
        if isinstance(config.get("mask"), dict):
            config["mask"] = _deserialize_function(config["mask"], None, custom_objects, safe_mode)
        return cls(**config)


def _listed_shape(shape):
    """Tuples as lists (JSON's form), recursively."""
    if isinstance(shape, (list, tuple)):
        return [_listed_shape(s) for s in shape]
    return shape


def _tupled_shape(shape):
    """A shape (ints) as a tuple, a list of shapes as a list of tuples."""
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [_tupled_shape(s) for s in shape]
    return tuple(shape)


def _serialize_function(function):
    """Keras 3's form: a lambda's bytecode, or a named function's name."""
    if isinstance(function, types.LambdaType) and function.__name__ == "<lambda>":
        code, defaults, closure = _function_dump(function)
        return {"class_name": "__lambda__",
                "config": {"code": code, "defaults": defaults, "closure": closure}}
    name = getattr(function, "__name__", None)
    if name is None:
        raise ValueError(
            f"Lambda cannot serialize {function!r} (of type {type(function).__name__}): "
            "expected a lambda or a named function."
        )
    return {"module": getattr(function, "__module__", None), "class_name": "function",
            "config": name, "registered_name": name}


def _function_dump(function):
    """(base64 bytecode, defaults, closure values): Keras's ``func_dump``."""
    code = codecs.encode(marshal.dumps(function.__code__), "base64").decode("ascii")
    closure = (tuple(cell.cell_contents for cell in function.__closure__)
               if function.__closure__ else None)
    return code, function.__defaults__, closure


def _function_load(code, defaults=None, closure=None):
    """A function from ``_function_dump``'s output (Keras's ``func_load``).

    Global names resolve in this module's namespace, so a saved
    ``lambda x: ops.square(x)`` finds kfacade's ``ops``.
    """
    if isinstance(code, (tuple, list)):  # Keras 2 saved the three together
        code, defaults, closure = code
    if isinstance(defaults, list):
        defaults = tuple(defaults)

    def cell(value):
        return (lambda: value).__closure__[0]

    if closure is not None:
        closure = tuple(cell(value) for value in closure)
    try:
        raw = codecs.decode(code.encode("ascii"), "base64")
    except (UnicodeEncodeError, binascii.Error):
        raw = code.encode("raw_unicode_escape")
    loaded = marshal.loads(raw)
    return types.FunctionType(loaded, dict(globals()), name=loaded.co_name, argdefs=defaults,
                              closure=closure)


def _in_safe_mode(safe_mode):
    """Safe mode for a bytecode load: the argument, else the registry's setting
    (``kfacade.config.enable_unsafe_deserialization``), else on."""
    from kfacade.engine import object_registry

    return object_registry.in_safe_mode(True if safe_mode is None else safe_mode)


def _deserialize_function(config, function_type, custom_objects, safe_mode):
    """A callable from ``_serialize_function``'s form (or Keras 2's `function_type`)."""
    if callable(config):
        return config
    is_lambda = function_type == "lambda" or (
        isinstance(config, dict) and config.get("class_name") == "__lambda__")
    if is_lambda:
        if _in_safe_mode(safe_mode):
            raise ValueError(
                "Requested the deserialization of a `Lambda` layer whose `function` is a Python "
                "lambda. This carries a potential risk of arbitrary code execution and thus it "
                "is disallowed by default. If you trust the source of the artifact, you can "
                "override this error by passing `safe_mode=False` to the loading function, or "
                "calling `kfacade.config.enable_unsafe_deserialization()`."
            )
        if isinstance(config, dict):
            inner = config["config"]
            return _function_load(inner["code"], inner.get("defaults"), inner.get("closure"))
        return _function_load(config)
    name = (config.get("registered_name") or config.get("config")) if isinstance(config, dict) \
        else config
    from kfacade.engine import object_registry

    found = object_registry.get("functions", name, custom_objects)
    if found is None:
        try:
            found = activations.get(name)
        except ValueError:
            found = None
    if found is None:
        raise ValueError(
            f"Lambda: unknown function {name!r}. Pass it in `custom_objects` (or register it "
            "with `register_keras_serializable`)."
        )
    return found
