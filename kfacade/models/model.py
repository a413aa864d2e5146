"""``Model``: a layer with training and inference APIs.

``Model(inputs, outputs)`` builds a functional model; subclassing ``Model``
with layers set in ``__init__`` and a ``call`` gives a subclassed one. The
training API (compile, fit, evaluate, predict) comes from ``Trainer``.
"""
import warnings

from kfacade.layers.layer import Layer
from kfacade.saving.saving_api import WeightsIOMixin, save_model
from kfacade.trainers.trainer import Trainer
from kfacade.utils.summary_utils import print_summary


class Model(Trainer, WeightsIOMixin, Layer):
    """A trainable stack of layers.

    Example (functional):
        >>> inputs = kfacade.Input(shape=(784,))
        >>> x = kfacade.layers.Dense(64, activation="relu")(inputs)
        >>> outputs = kfacade.layers.Dense(10, activation="softmax")(x)
        >>> model = kfacade.Model(inputs=inputs, outputs=outputs)

    Example (subclassing):
        >>> class MLP(kfacade.Model):
        ...     def __init__(self):
        ...         super().__init__(name="mlp")
        ...         self.dense = kfacade.layers.Dense(10)
        ...     def call(self, inputs, training=None):
        ...         return self.dense(inputs)
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and _functional_arguments(args, keras1_names(kwargs, warn=False)):
            from kfacade.models.functional import Functional

            return Functional.__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        kwargs = keras1_names(kwargs)
        if args or "inputs" in kwargs:
            if not _functional_arguments(args, kwargs):
                raise ValueError(
                    "Model takes its inputs and outputs as `Model(inputs, outputs)` (a "
                    "functional model, or a subclass of Model given them), or no positional "
                    f"arguments (a subclassed model). Received {len(args)} positional "
                    f"argument(s) and keywords {sorted(kwargs)}."
                )
            # Keras's "functional subclass": a subclass of Model (overriding
            # train_step, say) given inputs and outputs is a functional model
            # of that subclass.
            from kfacade.models.functional import Functional, functional_form

            self.__class__ = functional_form(type(self))
            Functional.__init__(self, *args, **kwargs)
            return
        Layer.__init__(self, **kwargs)
        Trainer.__init__(self)

    def get_config(self):
        """A subclassed model has no config unless it implements ``get_config``.

        Raises:
            NotImplementedError: the subclass does not override ``get_config``.
        """
        if type(self).get_config is not Model.get_config:
            return Layer.get_config(self)  # `super().get_config()` from an override
        raise NotImplementedError(
            f"Model {type(self).__name__!r} is a subclassed model, whose layers and forward "
            "pass are Python code, so it has no config to save. Please implement "
            "`get_config()` (and `from_config()` if needed) in the subclass to make it "
            "serializable, build it as a functional or Sequential model, or save only its "
            "weights with `save_weights()`."
        )

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A model from its config; a functional config gives a ``Functional``."""
        if "input_layers" in config and "output_layers" in config:
            from kfacade.models.functional import functional_form

            return functional_form(cls).from_config(config, custom_objects=custom_objects)
        return cls(**config)

    def to_json(self, **kwargs):
        """The model's architecture as a JSON string (``{"class_name", "config"}``,
        Keras's layout); ``kfacade.models.model_from_json`` rebuilds it.

        Args:
            **kwargs: passed on to ``json.dumps`` (e.g. ``indent=2``).
        """
        import json

        from kfacade.layers.serialization import serialize_layer
        from kfacade.saving.h5_model import _json_default

        return json.dumps(serialize_layer(self), default=_json_default, **kwargs)

    def save(self, filepath, overwrite=True, include_optimizer=True, save_format=None,
             signatures=None, options=None, save_traces=True):
        """Saves the model (architecture, weights, compile configuration and
        optimizer state): ".keras" in Keras 3's zip format, ".h5" in Keras 2's
        whole-model HDF5 layout.

        Args:
            filepath: a path ending in ".keras", ".h5" or ".hdf5".
            overwrite: when False and the file exists, ask before replacing it.
            include_optimizer: also save the compile arguments and the
                optimizer's state, so that ``fit`` continues where it stopped.
            save_format: None (from the extension), "keras" or "h5".
            signatures, options, save_traces: Keras 2's SavedModel arguments;
                accepted and unused.

        Raises:
            NotImplementedError: a subclassed model without ``get_config``.
            ValueError: another extension or `save_format`.

        Example:
            >>> model.save("model.keras")
            >>> restored = kfacade.models.load_model("model.keras")
        """
        save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer,
                   save_format=save_format)

    def get_layer(self, name=None, index=None):
        """The layer with `name`, or at position `index` of ``layers``.

        Raises:
            ValueError: no such layer (the message lists the layer names).
        """
        if isinstance(name, int) and index is None:
            name, index = None, name
        if index is not None and name is not None:
            raise ValueError("Provide only a layer name or a layer index, not both.")
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(
                    f"Was asked to retrieve layer at index {index} but model only has "
                    f"{len(layers)} layers."
                )
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No such layer: {name}. Existing layers are: {[layer.name for layer in layers]}."
        )

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Prints a table of the layers, their output shapes and parameter counts.

        The plain-text layout of tf_keras 2: ``name (ClassName)``, output
        shape and parameter count per layer, ``Connected to`` for a
        functional model that is not a plain chain, then the total,
        trainable, non-trainable and (once the optimizer is built)
        optimizer parameter counts.

        Args:
            line_length: the table's width in characters.
            positions: where each column ends (fractions of `line_length`
                or absolute positions).
            print_fn: called with each line instead of print.
            expand_nested: also list the layers of nested models.
            show_trainable: add a ``Trainable`` column.
            layer_range: ``[first name, last name]`` of the layers to list.

        Raises:
            ValueError: the model is not built yet (call it or ``build`` it first).

        Example:
            >>> lines = []
            >>> model.summary(print_fn=lines.append)
        """
        if not self.built:
            raise ValueError(
                f"Model {self.name!r} has not been built yet, so its output shapes and "
                "parameter counts are unknown. Build it first: call it on a batch, call "
                "`model.build(input_shape)`, or give the first layer an `input_shape`.")
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable,
                      layer_range=layer_range)


#: Keras 1's names of a functional model's ends, which Keras 2 still took
#: with a warning (``Model(input=..., output=...)``), and so do we.
_KERAS1_NAMES = {"input": "inputs", "output": "outputs"}


def keras1_names(kwargs, warn=True):
    """`kwargs` of a Model constructor with Keras 1's ``input``/``output``
    renamed ``inputs``/``outputs``, warning as Keras 2 did.

    Raises:
        TypeError: both an old and its new name are given.
    """
    old = [name for name in _KERAS1_NAMES if name in kwargs]
    if not old:
        return kwargs
    kwargs = dict(kwargs)
    for name in old:
        new = _KERAS1_NAMES[name]
        if new in kwargs:
            raise TypeError(
                f"Model received both `{name}` (Keras 1's name) and `{new}`; pass only "
                f"`{new}`.")
        kwargs[new] = kwargs.pop(name)
    if warn:
        warnings.warn(
            "Update your `Model` call to the Keras 2 API: `Model(inputs=..., outputs=...)` "
            f"(received {', '.join(f'`{name}`' for name in old)}).", UserWarning, stacklevel=3)
    return kwargs


def _functional_arguments(args, kwargs):
    """Whether a Model is given its inputs and outputs (Keras 2 also took a
    positional name after them)."""
    return (len(args) >= 2 or (len(args) == 1 and "outputs" in kwargs)
            or ("inputs" in kwargs and "outputs" in kwargs))
