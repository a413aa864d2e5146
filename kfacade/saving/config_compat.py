"""Model configs of every Keras era, read into kfacade's.

One entry point, ``model_from_keras_config``, serves every loader (``model_from_json``,
``model_from_config``, the legacy ``.h5`` reader and the ``.keras`` reader): it rewrites a
``{"class_name", "config"}`` dict as Keras 1/2 (``tf.keras``, ``tf_keras``) or Keras 3 wrote it
into the form kfacade's ``from_config`` methods read, then deserializes it.

What it rewrites:

- class names: ``Functional``/``Model`` (with ``layers``) and ``Sequential``; ``module`` and
  ``registered_name`` keys (``keras.src.models.functional``, ``keras.engine.functional``,
  ``keras.layers`` ...), a ``registered_name`` found in the registry naming the class;
  dotted class names (``keras.layers.Dense``) and ``Custom>`` / ``keras.layers>`` prefixes;
- layer arguments: ``batch_shape`` (Keras 3) for ``batch_input_shape`` (Keras 2) on layers
  other than ``InputLayer``; a dtype given as a ``DTypePolicy``/``Policy`` dict; arguments
  kfacade has no use for when they hold Keras's default (``ragged``, ``sparse``,
  ``optional``, ``time_major`` False; ``quantization_config`` None; ``implementation`` 1
  or 2 on recurrent layers, which only chose how Keras computed the same result);
- initializer, regularizer and constraint dicts, Keras 2's (``{"class_name": "GlorotUniform",
  "config": {...}}``) and Keras 3's (with ``module``), nested in any layer argument;
- a serialized layer or model nested in any argument (a Distiller's ``teacher``, a list of
  ``cells``), found by its class, as a layer config: its layers keep ``name``/``inbound_nodes``;
- functional ``inbound_nodes`` in Keras 3's encoding (``{"args": [{"class_name":
  "__keras_tensor__", "config": {"keras_history": [layer, node, tensor]}}], "kwargs"}``)
  into Keras 2's (``[[layer, node, tensor, kwargs], ...]``), nested models included;
- Sequential's ``build_input_shape`` (Keras 3) into a leading ``InputLayer``.

An argument whose value kfacade cannot honour (``ragged=True``, ``time_major=True``, a
quantized dtype policy, ...) raises ``ValueError`` naming the layer, the argument and the
value; arguments kfacade does not know reach the layer and fail there with a TypeError (as
in Keras 3) named the same way (``kfacade.layers.serialization.deserialize_layer``).
Nothing is dropped silently.

``training_config_compat`` does the same for Keras 2's ``training_config`` (the compile
arguments of a saved model): ``lr`` and ``decay`` in optimizer configs, ``MeanMetricWrapper``
metric dicts, ``reduction="auto"`` in loss configs.
"""
import inspect

from kfacade.engine import object_registry
from kfacade.layers.layer import Layer

__all__ = ["legacy_model_config", "legacy_optimizer_config", "model_from_keras_config", "normalize_layer_config",
           "object_config_compat", "training_config_compat"]

#: Arguments Keras writes that kfacade has no use for, with the values meaning "not used".
_DEFAULT_ONLY = {
    "ragged": (False,),
    "sparse": (False, None),
    "optional": (False,),
    "time_major": (False,),
    "quantization_config": (None,),
    "lora_rank": (None,),
    "lora_alpha": (None,),
    "renorm_clipping": (None,),
    "input_axes": (None,),   # Keras 3.15 initializers (GlorotUniform, ...)
    "output_axes": (None,),
}

#: Recurrent layers whose ``implementation`` (1 or 2) is a computation mode only.
_RECURRENT = {"SimpleRNN", "LSTM", "GRU", "SimpleRNNCell", "LSTMCell", "GRUCell", "ConvLSTM1D",
              "ConvLSTM2D", "ConvLSTM3D", "RNN", "Bidirectional", "CuDNNLSTM", "CuDNNGRU"}

_MODEL_CLASSES = {"Functional", "Model", "Sequential"}

#: Modules of Keras 3's layer and model classes (a ``module`` key's value).
_LAYER_MODULES = ("keras.layers", "keras.src.layers", "keras.models", "keras.src.models",
                  "keras.engine", "keras.src.engine")

#: Keys of a serialized object other than its class and arguments.
_ENVELOPE_KEYS = ("module", "registered_name", "build_config", "compile_config", "shared_object_id")


def _unsupported(layer, argument, value, why="kfacade cannot honour it"):
    return ValueError(
        f"Layer {layer!r}: argument {argument}={value!r} is not supported ({why})."
    )


def _class_name(entry, category=None):
    """The class name kfacade's registry knows for a serialized object: its
    ``registered_name`` when that is registered, else its ``class_name`` as is when
    registered (in `category`, or as a custom object), else stripped of Keras's
    package prefix and module path."""
    class_name = str(entry.get("class_name"))
    registered = entry.get("registered_name")
    if registered and registered != class_name and object_registry.get_registered_object(
            registered) is not None:
        return registered
    if (category and object_registry.get(category, class_name) is not None) or \
            object_registry.get_registered_object(class_name) is not None:
        return class_name
    if ">" in class_name:  # Keras 2.11's "Custom>Adam", Keras 3's "keras.layers>Dense"
        class_name = class_name.split(">")[-1]
    if "." in class_name:  # "keras.layers.Dense", "keras.engine.functional.Functional"
        class_name = class_name.rsplit(".", 1)[-1]
    return class_name


def _dtype(layer, value):
    """A dtype or policy name from Keras 3's DTypePolicy dict or tf.keras's Policy dict."""
    if not isinstance(value, dict):
        return value
    class_name = _class_name(value)
    if class_name not in ("DTypePolicy", "Policy", "FloatDTypePolicy"):
        raise _unsupported(layer, "dtype", value, f"a {class_name} is not one kfacade has")
    return value["config"]["name"]


def _object(layer, value):
    """A nested serialized object (initializer, regularizer, constraint, ...) normalized."""
    if isinstance(value, list):
        return [_object(layer, item) for item in value]
    if not isinstance(value, dict):
        return value
    if "class_name" not in value or "config" not in value:
        return {key: _object(layer, item) for key, item in value.items()}
    if value["class_name"] in ("__keras_tensor__", "__tensor__", "__numpy__", "function",
                               "__lambda__", "__bytes__", "__slice__", "__ellipsis__"):
        return value
    inner = value["config"]
    if isinstance(inner, dict):
        inner = dict(inner)
        for key in [k for k in inner if k in _DEFAULT_ONLY]:
            if inner[key] in _DEFAULT_ONLY[key]:
                del inner[key]
        if inner.get("distribution") == "normal" and value["class_name"] == "VarianceScaling":
            inner["distribution"] = "truncated_normal"  # Keras 2.0's "normal" was truncated
        inner = {key: _object(layer, item) for key, item in inner.items()}
    result = {"class_name": _class_name(value), "config": inner}
    if _module_category(value) is not None:
        # Found only under its module (keras.distillation's losses): kept for the lookup.
        result["module"] = value["module"]
    return result


def _module_category(entry):
    """The registry category named by `entry`'s ``module`` (``kfacade.`` read as
    ``keras.``) when its class is registered there, else None."""
    module = object_registry.keras_module_name(entry.get("module"))
    return module if module and _class_name(entry) in object_registry.names(module) else None


def _layer_arguments(class_name, config):
    """A layer's constructor arguments rewritten for kfacade (a new dict)."""
    config = dict(config)
    layer = config.get("name", class_name)
    if "dtype" in config:
        config["dtype"] = _dtype(layer, config["dtype"])
    if class_name != "InputLayer" and "batch_shape" in config:
        config["batch_input_shape"] = config.pop("batch_shape")
    if class_name == "InputLayer" and "batch_input_shape" in config and "batch_shape" in config:
        config.pop("batch_input_shape")
    for key in [k for k in config if k in _DEFAULT_ONLY]:
        if config[key] in _DEFAULT_ONLY[key]:
            del config[key]
        else:
            raise _unsupported(layer, key, config[key])
    if "implementation" in config and class_name in _RECURRENT:
        if config["implementation"] not in (0, 1, 2):
            raise _unsupported(layer, "implementation", config["implementation"],
                               "Keras knows 1 and 2")
        del config["implementation"]
    if class_name == "BatchNormalization" and not config.get("renorm"):
        config.pop("renorm_momentum", None)
    for key, value in list(config.items()):
        if key == "layer" or key == "cell" or key == "backward_layer":
            config[key] = normalize_layer_config(value) if isinstance(value, dict) else value
        elif key == "layers" and isinstance(value, list):
            config[key] = [normalize_layer_config(v) for v in value]
        elif key not in ("dtype", "name"):
            config[key] = _argument(layer, value)
    return config


def _is_layer_config(value):
    """Whether `value` is a serialized layer or model (``{"class_name", "config"}``,
    with ``module``/``registered_name`` in Keras 3's format): its class, looked up by
    its module when it names one, is a kfacade ``Layer``, or its config is a
    functional model's (``layers``, ``input_layers``, ``output_layers``)."""
    if not isinstance(value, dict) or not isinstance(value.get("config"), dict) \
            or not isinstance(value.get("class_name"), str):
        return False
    if {"layers", "input_layers", "output_layers"} <= value["config"].keys():
        return True
    class_name = _class_name(value, "layers")
    category = _module_category(value)
    if category is None:
        module = object_registry.keras_module_name(value.get("module"))
        if (module == "keras" or module.startswith("keras.")) and \
                not module.startswith(_LAYER_MODULES):
            return False  # Keras's other namespaces (keras.initializers' Identity, ...)
        category = "layers"
    found = object_registry.get(category, class_name)
    return inspect.isclass(found) and issubclass(found, Layer)


def _argument(layer, value):
    """A constructor argument other than ``layer``/``cell``/``layers``: a serialized
    layer or model in it (a Distiller's ``teacher``, a list of cells) normalized as a
    layer, whatever the argument's name, anything else as a nested object."""
    if isinstance(value, list):
        return [_argument(layer, item) for item in value]
    if _is_layer_config(value):
        normalized = normalize_layer_config(value)
        if "build_config" in value:  # read by deserialize_keras_object
            normalized["build_config"] = value["build_config"]
        return normalized
    return _object(layer, value)


def _keras_history(value):
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        return list(value["config"]["keras_history"])
    if isinstance(value, dict):
        return {key: _keras_history(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_keras_history(item) for item in value]
    return value


def _is_keras_tensor(value):
    return isinstance(value, dict) and value.get("class_name") == "__keras_tensor__"


def _call_parameter_names(class_name):
    """The names of the ``call`` arguments after the first of layer class
    `class_name` (``["value", "key", ...]`` for MultiHeadAttention), or []
    when the class is unknown here."""
    cls = object_registry.get("layers", class_name)
    if cls is None or not hasattr(cls, "call"):
        return []
    parameters = list(inspect.signature(cls.call).parameters.values())[2:]
    return [p.name for p in parameters
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _inbound_node(layer, node, class_name=None):
    """One inbound node in Keras 2's encoding (a list of [layer, node, tensor, kwargs]).

    Keras 3 records a call's extra positional tensors (``mha(query, value)``)
    as positional arguments; Keras 2's encoding, which kfacade rebuilds, names
    them as keyword arguments, so they are named from the layer's ``call``.
    """
    if not isinstance(node, dict):
        return node  # Keras 2's already
    args = list(node.get("args", []))
    kwargs = {key: _keras_history(value) for key, value in (node.get("kwargs") or {}).items()
              if value is not None}
    if len(args) > 1 and class_name is not None:
        names = _call_parameter_names(class_name)[:len(args) - 1]
        if len(names) == len(args) - 1 and not set(names) & set(kwargs):
            kwargs.update({name: _keras_history(value) for name, value in zip(names, args[1:])})
            args = args[:1]
    if len(args) != 1:
        raise ValueError(
            f"Layer {layer!r}: an inbound node calls it with {len(args)} positional arguments "
            f"({args!r}); kfacade rebuilds calls on one input (a tensor or a list of tensors)."
        )
    first = args[0]
    tensors = first if isinstance(first, (list, tuple)) else [first]
    if not tensors or not all(_is_keras_tensor(t) for t in tensors):
        raise ValueError(
            f"Layer {layer!r}: an inbound node calls it on {first!r}; kfacade rebuilds calls on a "
            "tensor or a list of tensors."
        )
    return [_keras_history(t) + [kwargs] for t in tensors]


def _functional_config(config):
    config = dict(config)
    layers = []
    for entry in config.get("layers", []):
        normalized = normalize_layer_config(entry)
        name = entry.get("name", normalized["config"].get("name"))
        normalized["name"] = name
        normalized["inbound_nodes"] = [_inbound_node(name, node, normalized["class_name"])
                                       for node in entry.get("inbound_nodes") or []]
        layers.append(normalized)
    config["layers"] = layers
    for key in ("input_layers", "output_layers"):
        if key in config:
            config[key] = _keras_history(config[key])
    return _model_arguments(config)


def _sequential_config(config):
    if isinstance(config, list):  # Keras 2 before 2.2: the list of layers alone
        config = {"layers": config}
    config = dict(config)
    layers = [normalize_layer_config(entry) for entry in config.get("layers", [])]
    build_shape = config.pop("build_input_shape", None)
    first = layers[0] if layers else None
    if (build_shape is not None and first is not None and first["class_name"] != "InputLayer"
            and "batch_input_shape" not in first["config"]):
        layers.insert(0, {"class_name": "InputLayer",
                          "config": {"batch_shape": list(build_shape)}})
    config["layers"] = layers
    return _model_arguments(config)


def _model_arguments(config):
    layer = config.get("name", "model")
    if "dtype" in config:
        dtype = _dtype(layer, config.pop("dtype"))
        if dtype not in (None, "float32"):
            raise _unsupported(layer, "dtype", dtype, "a model-wide dtype policy; set it on "
                               "the layers")
    if config.get("trainable") is True:
        config.pop("trainable")
    return config


def normalize_layer_config(entry):
    """A serialized layer or model (``{"class_name", "config", ...}``) of any Keras era
    rewritten as kfacade's ``serialize_layer`` writes it.

    Raises:
        ValueError: an argument value kfacade cannot honour, naming the layer, the
            argument and the value.
    """
    if not isinstance(entry, dict) or "class_name" not in entry:
        raise ValueError(f"Expected a serialized layer {{'class_name', 'config'}}; got {entry!r}.")
    class_name = _class_name(entry, "layers")
    config = entry.get("config", {})
    if class_name in ("Functional", "Model") and isinstance(config, dict) and "layers" in config:
        return {"class_name": "Functional", "config": _functional_config(config)}
    if isinstance(config, dict) and {"layers", "input_layers", "output_layers"} <= config.keys():
        # A subclass of Model built from inputs and outputs: a functional config.
        return {"class_name": class_name, "config": _functional_config(config)}
    if class_name == "Sequential":
        return {"class_name": "Sequential", "config": _sequential_config(config)}
    if not isinstance(config, dict):
        raise ValueError(f"Layer config of {class_name!r} is not a dict: {config!r}")
    return {"class_name": class_name, "config": _layer_arguments(class_name, config)}


def model_from_keras_config(config, custom_objects=None, safe_mode=True):
    """A new model (or layer) from a config of any Keras era, fresh weights.

    Args:
        config: ``{"class_name", "config"}`` as ``model.to_json()`` / ``get_config()``
            of kfacade, Keras 1/2 (``tf.keras``, ``tf_keras``) or Keras 3 wrote it
            (``.h5`` ``model_config``, ``.keras`` ``config.json``); ``module``,
            ``registered_name``, ``build_config`` and ``compile_config`` keys are read or
            ignored as the loaders need.
        custom_objects: ``{name: class or function}`` for classes outside kfacade.
        safe_mode: refuse to load Python bytecode (a ``Lambda``'s lambda).

    Raises:
        ValueError: an unknown class, or an argument value kfacade cannot honour
            (naming the layer, the argument and the value).
        TypeError: an argument kfacade's layer does not take (naming the layer,
            the argument and the value).

    Example:
        >>> model = model_from_keras_config(json.loads(h5file.attrs["model_config"]))
    """
    from kfacade.layers.serialization import deserialize_layer

    normalized = normalize_layer_config(config)
    with object_registry.CustomObjectScope(custom_objects), \
            object_registry.SafeModeScope(object_registry.in_safe_mode(safe_mode)):
        model = deserialize_layer(normalized, custom_objects)
    if isinstance(config.get("config"), dict) and config["config"].get("trainable") is False:
        model.trainable = False
    return model


# ---------------------------------------------------------------- training config
def _metric(value):
    """A metric of a training config: Keras 2's MeanMetricWrapper dicts become names."""
    if isinstance(value, list):
        return [_metric(item) for item in value]
    if isinstance(value, dict) and "class_name" not in value:
        return {key: _metric(item) for key, item in value.items()}
    if isinstance(value, dict) and value["class_name"] == "MeanMetricWrapper":
        inner = value.get("config", {})
        from kfacade import metrics

        for name in (inner.get("name"), inner.get("fn")):
            if isinstance(name, str):
                try:
                    metrics.get(name)
                except ValueError:
                    continue
                return name
        raise ValueError(f"Unknown metric in the training config: {value!r}")
    if isinstance(value, dict):
        return _object("metrics", value)
    return value


def _loss(value):
    if isinstance(value, list):
        return [_loss(item) for item in value]
    if isinstance(value, dict) and "class_name" not in value:
        return {key: _loss(item) for key, item in value.items()}
    if isinstance(value, dict):
        value = _object("loss", value)
        inner = value["config"]
        if isinstance(inner, dict) and inner.get("reduction") == "auto":
            value["config"] = dict(inner, reduction="sum_over_batch_size")
        return value
    return value


def _optimizer(config):
    """Keras 2's optimizer config (``lr``, ``decay``, ``is_legacy_optimizer``, ...) for kfacade."""
    config = _object("optimizer", config)
    inner = dict(config["config"])
    if "lr" in inner:
        inner.setdefault("learning_rate", inner.pop("lr"))
        inner.pop("lr", None)
    for key in ("is_legacy_optimizer", "jit_compile"):  # how Keras ran, not what it computes
        inner.pop(key, None)
    decay = inner.pop("decay", 0.0)
    if decay:
        rate = inner.get("learning_rate", 0.001)
        if isinstance(rate, dict):
            raise ValueError(
                f"Optimizer {inner.get('name')!r}: decay={decay!r} together with a learning rate "
                f"schedule ({rate!r}) is not supported.")
        # Keras 2's decay: lr / (1 + decay * iterations).
        inner["learning_rate"] = {"class_name": "InverseTimeDecay", "config": {
            "initial_learning_rate": rate, "decay_steps": 1, "decay_rate": decay}}
    return {"class_name": config["class_name"], "config": inner}


def object_config_compat(entry, kind=None):
    """A serialized object other than a layer (``{"class_name", "config"}``) of any Keras
    era rewritten for kfacade's ``from_config``, as the loaders rewrite the same objects:
    `kind` "optimizer" as in a training config (``lr``, ``decay``, ...), "loss" likewise
    (``reduction="auto"``), anything else (initializer, regularizer, constraint, ...) as
    a nested layer argument. Returns a new dict; class names lose Keras's prefixes."""
    if kind == "optimizer":
        return _optimizer(entry)
    if kind == "loss":
        return _loss(entry)
    return _object(kind or "object", entry)


def training_config_compat(training_config):
    """Keras 2's or Keras 3's ``training_config`` dict (a saved model's compile
    arguments) rewritten for kfacade's ``compile``: a new dict with ``optimizer_config``,
    ``loss``, ``metrics``, ``weighted_metrics``, ``loss_weights`` and, when saved,
    ``run_eagerly``, ``steps_per_execution`` and ``jit_compile``."""
    result = dict(training_config)
    if result.get("optimizer_config") is not None:
        result["optimizer_config"] = _optimizer(result["optimizer_config"])
    result["loss"] = _loss(result.get("loss"))
    for key in ("metrics", "weighted_metrics"):
        result[key] = _metric(result.get(key))
    return result


# ---------------------------------------------------------------- writing
def legacy_model_config(entry):
    """kfacade's ``{"class_name", "config"}`` of a model as Keras 2 writes it in a
    ``.h5`` file, so that tf_keras and Keras 3's legacy loader both read it: an
    ``InputLayer``'s ``batch_shape`` becomes ``batch_input_shape`` (which both
    accept; tf_keras knows no other), in nested models too. Returns a new dict."""
    if not isinstance(entry, dict):
        return entry
    config = entry.get("config")
    if entry.get("class_name") == "InputLayer" and isinstance(config, dict) and "batch_shape" in config:
        config = dict(config)
        config["batch_input_shape"] = config.pop("batch_shape")
        return dict(entry, config=config)
    if isinstance(config, dict) and isinstance(config.get("layers"), list):
        return dict(entry, config=dict(config, layers=[legacy_model_config(layer)
                                                       for layer in config["layers"]]))
    return entry


#: Optimizer arguments whose default both tf_keras and Keras 3 assume when absent.
_OPTIMIZER_DEFAULTS = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None,
                       "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
                       "ema_overwrite_frequency": None, "loss_scale_factor": None,
                       "gradient_accumulation_steps": None}


def legacy_optimizer_config(config):
    """An optimizer's ``{"class_name", "config"}`` for a ``.h5`` ``training_config``
    that tf_keras and Keras 3 both read: arguments holding their default are left
    out (tf_keras's optimizers refuse Keras 3's ``loss_scale_factor``, Keras 3's
    refuse tf_keras's ``is_legacy_optimizer``). Returns a new dict."""
    inner = {key: value for key, value in config["config"].items()
             if key not in _OPTIMIZER_DEFAULTS or value != _OPTIMIZER_DEFAULTS[key]}
    return {"class_name": config["class_name"], "config": inner}
