"""ConvLSTM1D/2D/3D (Shi et al. 2015): an LSTM whose matmuls are N-D convolutions."""
import inspect

from kfacade import ops
from kfacade.layers.convolutional.base_conv import add_channel_bias
from kfacade.layers.convolutional.conv_utils import (
    channel_axis, channels_placed, check_positive_int, conv_output_spatial, standardize_window,
)
from kfacade.layers.layer import Layer
from kfacade.layers.rnn.cell_base import DropoutRNNCell, init_cell_options
from kfacade.layers.rnn.lstm import build_lstm_weights, lstm_options_config, lstm_step
from kfacade.layers.rnn.rnn import RNN, CellLayerMixin


_SPATIAL_NAMES = {1: "steps", 2: "rows, cols", 3: "dim1, dim2, dim3"}


class ConvLSTMCell(DropoutRNNCell, Layer):
    """One step of a convolutional LSTM over `rank`-D inputs (rank 1, 2 or 3).

    Args:
        rank: the number of spatial axes.
        filters: the number of output channels (and of each state's channels).
        kernel_size: an int or `rank` ints.
        strides, padding ("valid" or "same"), data_format, dilation_rate:
            of the input convolution; the recurrent convolution has stride 1
            and "same" padding, so the states keep the output's size.
        activation, recurrent_activation, use_bias, initializers,
        unit_forget_bias, regularizers, constraints, dropout,
        recurrent_dropout, seed: as ``LSTMCell``'s.

    Weights: ``kernel (*kernel_size, in_channels, 4 * filters)``,
    ``recurrent_kernel (*kernel_size, filters, 4 * filters)``, ``bias (4 *
    filters,)``; gates i, f, c, o. States: ``[h, c]``, each ``(batch,
    *out_spatial, filters)`` (channels_last).
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rank = rank
        filters = check_positive_int(filters, "filters", self)
        self.filters = filters
        standardize_window(self, rank, kernel_size, strides, padding, data_format, dilation_rate)
        self.unit_forget_bias = unit_forget_bias
        init_cell_options(self, locals(), ("activation", "recurrent_activation"))
        self._channels_axis = channel_axis(self.data_format)
        self.state_size = None  # known once the input's spatial size is (build)

    def build(self, input_shape):
        rank = self.rank
        if len(input_shape) != rank + 2:
            raise ValueError(
                f"{type(self).__name__} {self.name!r} expects (batch, {_SPATIAL_NAMES[rank]}, "
                f"channels) steps. Received: input_shape={tuple(input_shape)}"
            )
        if self.data_format == "channels_last":
            spatial, channels = input_shape[1:rank + 1], input_shape[rank + 1]
        else:
            spatial, channels = input_shape[2:rank + 2], input_shape[1]
        if channels is None or any(d is None for d in spatial):
            raise ValueError(
                f"{type(self).__name__} {self.name!r} needs known {_SPATIAL_NAMES[rank]} and "
                f"channels. Received: input_shape={tuple(input_shape)}"
            )
        out = conv_output_spatial(input_shape, self.kernel_size, self.strides, self.padding,
                                  self.dilation_rate, self.data_format)
        shape = channels_placed(out, self.filters, self.data_format)
        self.state_size = [shape, shape]
        self.output_size = shape
        build_lstm_weights(self, self.kernel_size + (channels,), self.kernel_size + (self.filters,),
                           self.filters)
        self.built = True

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states[0], states[1]
        inputs, h_tm1 = self._dropped(inputs, h_tm1, training)
        z = ops.conv(inputs, self.kernel.value, strides=self.strides, padding=self.padding,
                     data_format=self.data_format, dilation_rate=self.dilation_rate)
        z = ops.add(z, ops.conv(h_tm1, self.recurrent_kernel.value, strides=1, padding="same",
                                data_format=self.data_format))
        z = add_channel_bias(z, self.bias, self.data_format, self.rank)
        return lstm_step(self, z, c_tm1, axis=self._channels_axis)

    def get_config(self):
        rank = {"rank": self.rank} if type(self) is ConvLSTMCell else {}  # ranked cells fix it
        return {
            **super().get_config(),
            **rank,
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            **lstm_options_config(self),
        }


class _RankedCell(ConvLSTMCell):
    """A ConvLSTMCell of a fixed rank, taking the cell's other arguments."""

    _rank = None

    def __init__(self, filters, kernel_size, **kwargs):
        super().__init__(self._rank, filters, kernel_size, **kwargs)


# The layers check their keyword arguments against the cell's signature: show
# ConvLSTMCell's, without `rank`.
_CELL_SIGNATURE = inspect.signature(ConvLSTMCell.__init__)
_RankedCell.__init__.__signature__ = _CELL_SIGNATURE.replace(
    parameters=[p for name, p in _CELL_SIGNATURE.parameters.items() if name != "rank"])


class ConvLSTM1DCell(_RankedCell):
    """``ConvLSTMCell`` over sequences of 1-D inputs ``(batch, steps, channels)``."""

    _rank = 1


class ConvLSTM2DCell(_RankedCell):
    """``ConvLSTMCell`` over images ``(batch, rows, cols, channels)``."""

    _rank = 2


class ConvLSTM3DCell(_RankedCell):
    """``ConvLSTMCell`` over volumes ``(batch, dim1, dim2, dim3, channels)``."""

    _rank = 3


class _ConvLSTM(CellLayerMixin, RNN):
    """The layer form of a ranked ConvLSTM cell: ``RNN(ConvLSTM<N>DCell(...))``."""

    _cell_name = "conv_lstm_cell"

    def __init__(self, filters, kernel_size, **kwargs):
        super().__init__(filters, kernel_size=kernel_size, **kwargs)

    def compute_output_shape(self, sequences_shape):
        if self.cell.state_size is None:  # the output size depends on the input's
            self.cell._maybe_build([(sequences_shape[0],) + tuple(sequences_shape[2:])])
        return super().compute_output_shape(sequences_shape)


class ConvLSTM1D(_ConvLSTM):
    """A convolutional LSTM over sequences of 1-D signals: ``RNN(ConvLSTM1DCell(...))``.

    Takes ``ConvLSTMCell``'s arguments (kernel_size, strides, dilation_rate:
    an int or 1 int) and ``RNN``'s. Input ``(batch, timesteps, steps,
    channels)`` (channels_last); output ``(batch, out_steps, filters)``, or
    with the time axis after the batch with ``return_sequences``.

    Example:
        >>> ConvLSTM1D(4, 3, padding="same")(np.zeros((2, 5, 8, 1), "float32")).shape  # (2, 8, 4)
    """

    _cell_class = ConvLSTM1DCell
    _input_ndim = 4


class ConvLSTM2D(_ConvLSTM):
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
    _input_ndim = 5


class ConvLSTM3D(_ConvLSTM):
    """A convolutional LSTM over sequences of volumes: ``RNN(ConvLSTM3DCell(...))``.

    Takes ``ConvLSTMCell``'s arguments (kernel_size, strides, dilation_rate:
    an int or 3 ints) and ``RNN``'s. Input ``(batch, timesteps, dim1, dim2,
    dim3, channels)`` (channels_last); output ``(batch, out1, out2, out3,
    filters)``, or with the time axis after the batch with ``return_sequences``.

    Example:
        >>> ConvLSTM3D(2, 3, padding="same")(np.zeros((1, 3, 4, 4, 4, 1), "float32")).shape
        # (1, 4, 4, 4, 2)
    """

    _cell_class = ConvLSTM3DCell
    _input_ndim = 6
