"""BaseConv, the shared body of Conv1D, Conv2D and Conv3D, and the pieces
every convolution layer shares (window arguments, weight options, bias and
activation, config); the recurrent cells use the weight-option helpers too."""
from kfacade import activations, constraints, initializers, ops, regularizers
from kfacade.backend.active import adapter as _B
from kfacade.engine.input_spec import InputSpec
from kfacade.layers.convolutional import conv_utils
from kfacade.layers.layer import Layer


#: The adapter's ``fused_conv`` (contract.OPTIONAL_HOOKS), looked up once: one
#: adapter serves the whole process. None when it has none.
_fused_conv = getattr(_B, "fused_conv", None)

# The options every weight takes, with the module that resolves and serializes each.
_WEIGHT_OPTIONS = (
    ("initializer", initializers), ("regularizer", regularizers), ("constraint", constraints),
)


def set_weight_options(layer, arguments, weights):
    """Stores ``<weight>_initializer``, ``<weight>_regularizer`` and
    ``<weight>_constraint`` for each of `weights` on `layer`, resolved from
    the names, configs or objects in `arguments` (the constructor's locals)."""
    for option, module in _WEIGHT_OPTIONS:
        for weight in weights:
            key = f"{weight}_{option}"
            setattr(layer, key, module.get(arguments[key]))


def weight_options_config(layer, weights, activity_regularizer=False):
    """The options of `weights` in serialized form, in Keras's key order
    (initializers, regularizers, then constraints; `activity_regularizer`
    after the regularizers when asked for)."""
    config = {}
    for option, module in _WEIGHT_OPTIONS:
        for weight in weights:
            key = f"{weight}_{option}"
            config[key] = module.serialize(getattr(layer, key))
        if option == "regularizer" and activity_regularizer:
            config["activity_regularizer"] = regularizers.serialize(layer.activity_regularizer)
    return config


def add_weight_with_options(layer, name, shape, options, initializer=None):
    """``layer.add_weight`` with the ``<options>_initializer``, ``_regularizer``
    and ``_constraint`` stored on `layer` (`initializer`, when given, instead
    of the stored initializer)."""
    return layer.add_weight(
        name=name, shape=shape,
        initializer=getattr(layer, f"{options}_initializer") if initializer is None else initializer,
        regularizer=getattr(layer, f"{options}_regularizer"),
        constraint=getattr(layer, f"{options}_constraint"),
    )


def init_conv_layer(layer, rank, arguments, weights, allow_causal=False):
    """Stores what every convolution layer takes, standardized: `rank`, the
    window (``conv_utils.standardize_window``), `activation`, `use_bias` and
    the options of `weights`, from `arguments` (the constructor's locals);
    sets an input spec of ``rank + 2`` dimensions."""
    layer.rank = rank
    conv_utils.standardize_window(
        layer, rank, arguments["kernel_size"], arguments["strides"], arguments["padding"],
        arguments["data_format"], arguments["dilation_rate"], allow_causal=allow_causal,
    )
    layer.activation = activations.get(arguments["activation"])
    layer.use_bias = arguments["use_bias"]
    set_weight_options(layer, arguments, weights)
    layer.input_spec = InputSpec(min_ndim=rank + 2)


def conv_layer_config(layer, names, weights):
    """The ``get_config`` entries of a convolution layer: the attributes
    `names` as stored, then `activation`, `use_bias` and the options of
    `weights` with `activity_regularizer`."""
    return {
        **{name: getattr(layer, name) for name in names},
        "activation": activations.serialize(layer.activation),
        "use_bias": layer.use_bias,
        **weight_options_config(layer, weights, activity_regularizer=True),
    }


def conv_layer_output_shape(layer, input_shape, channels):
    """``conv_utils.conv_output_shape`` over the layer's window, with
    `channels` output channels (None keeps the input's)."""
    return conv_utils.conv_output_shape(
        layer, input_shape, channels, layer.kernel_size, layer.strides, layer.padding,
        layer.dilation_rate, layer.data_format,
    )


def input_channels(layer, input_shape):
    """The channel size of `input_shape`, after checking its rank.

    Raises:
        ValueError: `input_shape` is not ``(layer.rank + 2)``-D, or its
            channel size is unknown.
    """
    conv_utils.check_rank(layer, input_shape, layer.rank)
    channels = input_shape[conv_utils.channel_axis(layer.data_format)]
    if channels is None:
        raise ValueError(
            f"The channel dimension of the inputs to {type(layer).__name__} {layer.name!r} "
            f"must be known. Received: input_shape={tuple(input_shape)}"
        )
    return channels


def expect_input_channels(layer, channels):
    """Fixes the input spec to the channel size the layer was built for."""
    layer.input_spec = InputSpec(
        min_ndim=layer.rank + 2, axes={conv_utils.channel_axis(layer.data_format): channels}
    )


def add_bias(layer, size):
    """The ``bias (size,)`` weight with the layer's bias options, or None without `use_bias`."""
    return add_weight_with_options(layer, "bias", (size,), "bias") if layer.use_bias else None


def add_channel_bias(outputs, bias, data_format, rank):
    """``outputs + bias``, the bias Variable (or None: `outputs`) broadcast
    along the channel axis of the ``(rank + 2)``-D `outputs`."""
    if bias is None:
        return outputs
    value = bias.value
    if data_format == "channels_first":
        value = ops.reshape(value, (1, -1) + (1,) * rank)
    return ops.add(outputs, value)


def add_bias_and_activate(layer, outputs, bias):
    """``layer.activation(outputs + bias)``, the bias broadcast along the channel axis.

    Args:
        layer: a convolution layer (its `rank`, `data_format`, `activation`).
        outputs: the convolution's output.
        bias: the bias Variable, or None.
    """
    outputs = add_channel_bias(outputs, bias, layer.data_format, layer.rank)
    if layer.activation is activations.linear:
        return outputs
    return layer.activation(outputs)


class BaseConv(Layer):
    """An N-D convolution layer: ``activation(conv(inputs, kernel) + bias)``.

    Args:
        rank: the number of spatial dimensions (1, 2 or 3).
        filters: the number of output channels, a positive int divisible by `groups`.
        kernel_size: an int or `rank` ints, the window size.
        strides: an int or `rank` ints (default 1). `strides > 1` is
            incompatible with `dilation_rate > 1`.
        padding: "valid", "same" (case-insensitive), or "causal" (rank 1 only:
            left padding so that output t sees inputs up to t).
        data_format: "channels_last" (default from ``image_data_format()``)
            or "channels_first".
        dilation_rate: an int or `rank` ints (default 1).
        groups: splits the input channels into `groups` groups convolved
            separately; must divide both the input channels and `filters`.
        activation: an activation name or callable (None: linear).
        use_bias: whether to add a bias.
        kernel_initializer, bias_initializer: default "glorot_uniform", "zeros".
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties.
        kernel_constraint, bias_constraint: constraints.

    Weights (Keras's layout): ``kernel (*kernel_size, in_channels // groups,
    filters)`` and ``bias (filters,)``.
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        filters = conv_utils.check_positive_int(filters, "filters", self)
        groups = conv_utils.check_positive_int(groups, "groups", self)
        self.filters = filters
        self.groups = groups
        init_conv_layer(self, rank, locals(), ("kernel", "bias"), allow_causal=rank == 1)
        if filters % groups:
            raise ValueError(
                f"The number of filters must be evenly divisible by the number of groups. "
                f"Received: groups={groups}, filters={filters}."
            )

    def build(self, input_shape):
        channels = input_channels(self, input_shape)
        if channels % self.groups:
            raise ValueError(
                f"The number of input channels must be evenly divisible by the number of "
                f"groups. Received groups={self.groups}, but the input has {channels} "
                f"channels (full input shape is {tuple(input_shape)})."
            )
        self.compute_output_shape(input_shape)  # validates the spatial sizes
        self.kernel = add_weight_with_options(
            self, "kernel", self.kernel_size + (channels // self.groups, self.filters), "kernel")
        self.bias = add_bias(self, self.filters)
        expect_input_channels(self, channels)
        self.built = True

    def convolution_op(self, inputs, kernel):
        """The convolution without bias and activation."""
        return ops.conv(inputs, kernel, strides=self.strides, padding=self.padding,
                        data_format=self.data_format, dilation_rate=self.dilation_rate,
                        groups=self.groups)

    def call(self, inputs):
        if self.bias is not None and _fused_conv is not None \
                and type(self).convolution_op is BaseConv.convolution_op:
            try:
                outputs = _fused_conv(inputs, self.kernel.value, self.bias.value, self.strides,
                                      self.padding, self.data_format, self.dilation_rate,
                                      self.groups)
            except NotImplementedError:
                pass  # a case the kernel does not compute: the generic ops
            else:
                return add_bias_and_activate(self, outputs, None)
        outputs = self.convolution_op(inputs, self.kernel.value)
        return add_bias_and_activate(self, outputs, self.bias)

    def compute_output_shape(self, input_shape):
        return conv_layer_output_shape(self, input_shape, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            **conv_layer_config(self, ("filters", "kernel_size", "strides", "padding",
                                       "data_format", "dilation_rate", "groups"),
                                ("kernel", "bias")),
        }
