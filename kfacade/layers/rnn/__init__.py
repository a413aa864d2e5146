"""Recurrent layers: cells, the ``RNN`` that runs them over time, and wrappers.

A cell computes one timestep; ``RNN`` scans it over the time axis with
``kfacade.ops.scan`` (``rnn.py`` explains the loop, ``cell_base.py`` the
dropout masks, ``lstm.py`` the optional fused adapter kernels; ``cudnn_recurrent.py``
holds Keras 2's cuDNN-layout GRU and LSTM).
"""
from kfacade.layers.rnn.bidirectional import Bidirectional
from kfacade.layers.rnn.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM2DCell, ConvLSTM3D
from kfacade.layers.rnn.cudnn_recurrent import CuDNNGRU, CuDNNLSTM
from kfacade.layers.rnn.gru import GRU, GRUCell
from kfacade.layers.rnn.lstm import LSTM, LSTMCell
from kfacade.layers.rnn.rnn import RNN
from kfacade.layers.rnn.simple_rnn import SimpleRNN, SimpleRNNCell
from kfacade.layers.rnn.stacked_rnn_cells import StackedRNNCells
from kfacade.layers.rnn.time_distributed import TimeDistributed

__all__ = [
    "Bidirectional",
    "ConvLSTM1D",
    "ConvLSTM2D",
    "ConvLSTM2DCell",
    "ConvLSTM3D",
    "CuDNNGRU",
    "CuDNNLSTM",
    "GRU",
    "GRUCell",
    "LSTM",
    "LSTMCell",
    "RNN",
    "SimpleRNN",
    "SimpleRNNCell",
    "StackedRNNCells",
    "TimeDistributed",
]
