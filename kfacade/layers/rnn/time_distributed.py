"""TimeDistributed: applies one layer to every timestep of a sequence."""
from kfacade import ops
from kfacade.backend.active import adapter as _B
from kfacade.engine import tree
from kfacade.engine.input_spec import InputSpec
from kfacade.layers.core.wrapper import Wrapper, prefix_weight_paths
from kfacade.layers.layer import Layer


class TimeDistributed(Wrapper):
    """Applies `layer` to each timestep of ``(batch, timesteps, ...)`` inputs.

    The timesteps share the layer's weights. The batch and time axes are
    merged into one (``(batch * timesteps, ...)``), the layer runs once, and
    the axes are split again, which is how Keras 2 did it and runs one large
    call instead of ``timesteps`` small ones.

    Args:
        layer: the layer to apply (``Dense``, ``Conv2D``, a model, ...).

    Input ``(batch, timesteps, ...)``; output ``(batch, timesteps) +
    layer's output shape[1:]``. A mask ``(batch, timesteps)`` passes through
    (and reaches `layer` per step when its ``call`` takes ``mask``).

    Example:
        >>> layer = TimeDistributed(Dense(8))
        >>> layer(np.zeros((32, 10, 16), "float32")).shape  # (32, 10, 8)
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Please initialize `TimeDistributed` layer with a `kfacade.layers.Layer` "
                f"instance. Received: {layer!r}"
            )
        super().__init__(layer, **kwargs)
        self.supports_masking = True
        self.input_spec = InputSpec(min_ndim=3)

    def _inner_shape(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError(
                f"`TimeDistributed` layer {self.name!r} requires an input of rank >= 3 "
                f"(batch, timesteps, ...). Received: input_shape={tuple(input_shape)}"
            )
        batch, timesteps = input_shape[0], input_shape[1]
        merged = None if batch is None or timesteps is None else batch * timesteps
        return (merged,) + tuple(input_shape[2:])

    def build(self, input_shape):
        if not self.layer.built:
            self.layer._maybe_build([self._inner_shape(tuple(input_shape))])
        prefix_weight_paths(self.layer, self.name)
        self.built = True

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_shape(self._inner_shape(tuple(input_shape)))
        return (input_shape[0], input_shape[1]) + tuple(inner[1:])

    def call(self, inputs, training=None, mask=None):
        shape = _B.shape(inputs)
        batch, timesteps = shape[0], shape[1]
        merged = ops.reshape(inputs, (-1,) + tuple(shape[2:]))
        kwargs = {}
        if training is not None:
            kwargs["training"] = training
        if mask is not None and self.layer._call_has_mask:
            mask = tree.flatten(mask)[0] if tree.is_nested(mask) else mask
            kwargs["mask"] = ops.reshape(mask, (-1,) + tuple(_B.shape(mask)[2:]))
        outputs = self.layer(merged, **kwargs)
        if timesteps is not None:
            split = (-1, timesteps)
        elif batch is not None:
            split = (batch, -1)
        else:
            raise ValueError(
                f"TimeDistributed layer {self.name!r} needs a known batch size or number of "
                f"timesteps. Received: inputs.shape={tuple(shape)}"
            )
        return ops.reshape(outputs, split + tuple(_B.shape(outputs)[1:]))

    def compute_mask(self, inputs, previous_mask=None):
        return previous_mask
