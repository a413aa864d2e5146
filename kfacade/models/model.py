"""``Model``: a layer with training and inference APIs.

``Model(inputs, outputs)`` builds a functional model; subclassing ``Model``
with layers set in ``__init__`` and a ``call`` gives a subclassed one. The
training API (compile, fit, evaluate, predict) comes from ``Trainer``.
"""
from kfacade.layers.layer import Layer
from kfacade.saving.h5_weights import WeightsIOMixin
from kfacade.trainers.trainer import Trainer


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
        if cls is Model and (len(args) >= 2 or ("inputs" in kwargs and "outputs" in kwargs)
                             or (len(args) == 1 and "outputs" in kwargs)):
            from kfacade.models.functional import Functional

            return Functional.__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        if args or "inputs" in kwargs:
            raise ValueError(
                "A subclassed Model takes no `inputs`/`outputs`; to build a functional "
                "model call kfacade.Model(inputs=..., outputs=...)."
            )
        Layer.__init__(self, **kwargs)
        Trainer.__init__(self)

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

    def summary(self, line_length=None, print_fn=None):
        """Prints a table of the layers, their output shapes and parameter counts."""
        print_fn = print_fn or print
        rows = [("Layer (type)", "Output Shape", "Param #")]
        for layer in self.layers:
            try:
                shape = layer.output_shape
            except (AttributeError, ValueError):
                shape = "?"
            params = layer.count_params() if layer.built else 0
            rows.append((f"{layer.name} ({type(layer).__name__})", str(shape), str(params)))
        widths = [max(len(r[i]) for r in rows) + 2 for i in range(3)]
        line = "=" * sum(widths)
        print_fn(f'Model: "{self.name}"')
        print_fn(line)
        for i, row in enumerate(rows):
            print_fn("".join(cell.ljust(w) for cell, w in zip(row, widths)))
            print_fn(line if i == 0 else "-" * sum(widths))
        trainable = sum(_size(w.shape) for w in self.trainable_weights)
        total = sum(_size(w.shape) for w in self.weights)
        print_fn(f"Total params: {total}")
        print_fn(f"Trainable params: {trainable}")
        print_fn(f"Non-trainable params: {total - trainable}")


def _size(shape):
    n = 1
    for d in shape:
        n *= d
    return n
