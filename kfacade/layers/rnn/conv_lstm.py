"""ConvLSTM2D (Shi et al. 2015): an LSTM whose matmuls are 2-D convolutions."""
from kfacade import activations, ops
from kfacade.backend.config import standardize_data_format
from kfacade.layers.convolutional.conv_utils import (
    check_positive_int, check_strides_and_dilation, conv_output_length, standardize_padding,
    standardize_tuple,
)
from kfacade.layers.layer import Layer
from kfacade.layers.rnn.cell_base import (
    DropoutRNNCell, activation_config, set_weight_options, weight_options_config,
)
from kfacade.layers.rnn.lstm import _ForgetBiasInitializer
from kfacade.layers.rnn.rnn import RNN, CellLayerMixin


class ConvLSTM2DCell(DropoutRNNCell, Layer):
    """One step of a convolutional LSTM over images.

    Args:
        filters: the number of output channels (and of each state's channels).
        kernel_size: an int or 2 ints.
        strides, padding ("valid" or "same"), data_format, dilation_rate:
            of the input convolution; the recurrent convolution has stride 1
            and "same" padding, so the states keep the output's size.
        activation, recurrent_activation, use_bias, initializers,
        unit_forget_bias, regularizers, constraints, dropout,
        recurrent_dropout, seed: as ``LSTMCell``'s.

    Weights: ``kernel (kh, kw, in_channels, 4 * filters)``, ``recurrent_kernel
    (kh, kw, filters, 4 * filters)``, ``bias (4 * filters,)``; gates i, f, c, o.
    States: ``[h, c]``, each ``(batch, out_h, out_w, filters)`` (channels_last).
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        check_positive_int(filters, "filters", self)
        self.filters = filters
        self.kernel_size = standardize_tuple(kernel_size, 2, "kernel_size")
        self.strides = standardize_tuple(strides, 2, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, 2, "dilation_rate")
        check_strides_and_dilation(self.strides, self.dilation_rate)
        self.padding = standardize_padding(padding, self)
        self.data_format = standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.unit_forget_bias = unit_forget_bias
        set_weight_options(self, locals())
        self._init_dropout(dropout, recurrent_dropout, seed)
        self._channels_axis = -1 if self.data_format == "channels_last" else 1
        self.state_size = None  # known once the input's spatial size is (build)

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(
                f"ConvLSTM2DCell {self.name!r} expects (batch, rows, cols, channels) steps. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        if self.data_format == "channels_last":
            spatial, channels = input_shape[1:3], input_shape[3]
        else:
            spatial, channels = input_shape[2:4], input_shape[1]
        if channels is None or any(d is None for d in spatial):
            raise ValueError(
                f"ConvLSTM2DCell {self.name!r} needs known rows, cols and channels. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        out = tuple(conv_output_length(n, k, s, self.padding, d) for n, k, s, d in zip(
            spatial, self.kernel_size, self.strides, self.dilation_rate))
        shape = out + (self.filters,) if self.data_format == "channels_last" else (self.filters,) + out
        self.state_size = [shape, shape]
        self.output_size = shape
        f = self.filters
        self.kernel = self.add_weight(
            name="kernel", shape=self.kernel_size + (channels, 4 * f),
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel", shape=self.kernel_size + (f, 4 * f),
            initializer=self.recurrent_initializer, regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint)
        if self.use_bias:
            initializer = self.bias_initializer
            if self.unit_forget_bias:
                initializer = _ForgetBiasInitializer(self.bias_initializer, f)
            self.bias = self.add_weight(
                name="bias", shape=(4 * f,), initializer=initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        else:
            self.bias = None
        self.built = True

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states[0], states[1]
        inputs, h_tm1 = self._dropped(inputs, h_tm1, training)
        z = ops.conv(inputs, self.kernel.value, strides=self.strides, padding=self.padding,
                     data_format=self.data_format, dilation_rate=self.dilation_rate)
        z = ops.add(z, ops.conv(h_tm1, self.recurrent_kernel.value, strides=1, padding="same",
                                data_format=self.data_format))
        if self.bias is not None:
            bias = self.bias.value
            if self.data_format == "channels_first":
                bias = ops.reshape(bias, (4 * self.filters, 1, 1))
            z = ops.add(z, bias)
        z_i, z_f, z_c, z_o = ops.split(z, 4, axis=self._channels_axis)
        i = self.recurrent_activation(z_i)
        f = self.recurrent_activation(z_f)
        c = ops.add(ops.multiply(f, c_tm1), ops.multiply(i, self.activation(z_c)))
        o = self.recurrent_activation(z_o)
        h = ops.multiply(o, self.activation(c))
        return h, [h, c]

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            **activation_config(self, ["activation", "recurrent_activation"]),
            "use_bias": self.use_bias,
            "unit_forget_bias": self.unit_forget_bias,
            **weight_options_config(self),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


class ConvLSTM2D(CellLayerMixin, RNN):
    """A convolutional LSTM over sequences of images: ``RNN(ConvLSTM2DCell(...))``.

    Takes ``ConvLSTM2DCell``'s arguments and ``RNN``'s.

    Input ``(batch, timesteps, rows, cols, channels)`` (channels_last);
    output ``(batch, out_rows, out_cols, filters)``, or with the time axis
    after the batch with ``return_sequences``. Weights
    ``conv_lstm2d/conv_lstm_cell/kernel (kh, kw, in, 4f)``, ...

    Example:
        >>> layer = ConvLSTM2D(4, 3, padding="same", return_sequences=True)
        >>> layer(np.zeros((2, 5, 8, 8, 1), "float32")).shape  # (2, 5, 8, 8, 4)
    """

    _cell_class = ConvLSTM2DCell
    _cell_name = "conv_lstm_cell"
    _input_ndim = 5

    def __init__(self, filters, kernel_size, **kwargs):
        super().__init__(filters, kernel_size=kernel_size, **kwargs)

    def compute_output_shape(self, sequences_shape):
        if self.cell.state_size is None:  # the output size depends on the input's
            self.cell._maybe_build([(sequences_shape[0],) + tuple(sequences_shape[2:])])
        return super().compute_output_shape(sequences_shape)
