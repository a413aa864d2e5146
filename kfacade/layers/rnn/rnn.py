"""RNN: runs a cell over the time axis with ``kfacade.ops.scan``.

Inputs are batch-major ``(batch, timesteps, ...)`` as in Keras; inside, the
sequence is made time-major and scanned, so each backend runs its own loop
(``jax.lax.scan``, ``tf.while_loop`` or an unrolled Python loop, torch's
Python loop). The carry is ``[last output] + states`` (a flat list); the
timestep mask, when given, rides along the inputs of the scan.

A layer built on one known cell (``LSTM``, ``GRU``) may hand the whole
sequence to a fused kernel of the adapter (``adapter.lstm`` / ``adapter.gru``,
see ``lstm.py``) and falls back to the scan when the adapter has none.
"""
import contextlib
import inspect

import numpy as np

from kfacade import ops
from kfacade.backend.active import adapter as _B
from kfacade.backend.state import local as _local
from kfacade.dtype_policies import autocast_in_use
from kfacade.engine import tree
from kfacade.engine.input_spec import InputSpec, assert_input_compatibility
from kfacade.layers.core.wrapper import prefix_weight_paths
from kfacade.layers.layer import Layer
from kfacade.layers.rnn.cell_base import (
    DropoutRNNCell, batch_zeros, deserialize, flat_state_shapes, output_shape_of, serialize,
)
from kfacade.layers.rnn.stacked_rnn_cells import StackedRNNCells
from kfacade.variables import Variable


class RNN(Layer):
    """Runs a recurrent cell over the timesteps of its input.

    Args:
        cell: a cell (``call(inputs, states, training=False)`` returning
            ``(output, new_states)``, and a ``state_size``), or a list of
            cells, stacked with ``StackedRNNCells``.
        return_sequences: return the output of every timestep
            ``(batch, timesteps, output_size)`` instead of the last one
            ``(batch, output_size)``.
        return_state: also return the final states: ``[output, *states]``.
        go_backwards: process the sequence from its end; the returned
            sequence is then in processing order (reversed), as in Keras.
        stateful: carry the final states of a batch over as the initial
            states of the next one (sample ``i`` continues sample ``i``). The
            states live in non-trainable variables sized by the batch, so the
            batch size must be fixed (``batch_size=`` or a ``batch_shape``);
            ``reset_states()`` zeroes them.
        unroll: unroll the loop (faster for short sequences, more memory).
        zero_output_for_mask: masked timesteps output zeros instead of the
            previous output (``Bidirectional`` sets it when returning sequences).

    Call arguments:
        inputs: ``(batch, timesteps, ...)``.
        initial_state: a tensor or a list of tensors, one per state (the
            flat list of ``cell.state_size``); zeros by default.
        mask: ``(batch, timesteps)`` booleans; at a masked timestep the
            states are kept and the output repeats the previous output.
        training: enables the cell's dropout.

    Example:
        >>> layer = RNN(LSTMCell(4), return_sequences=True)
        >>> layer(np.zeros((2, 5, 3), "float32")).shape  # (2, 5, 4)
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not (hasattr(cell, "call") and hasattr(cell, "state_size")):
            raise ValueError(
                f"Argument `cell` of {type(self).__name__} should have a `call` method and a "
                f"`state_size` attribute. Received: cell={cell!r}"
            )
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self.input_spec = InputSpec(min_ndim=3)
        self.states = None  # the state Variables of a stateful layer
        self._cell_takes_training = "training" in inspect.signature(cell.call).parameters

    # ----------------------------------------------------------- shapes
    @property
    def _state_shapes(self):
        return flat_state_shapes(self.cell.state_size)

    def build(self, sequences_shape):
        if isinstance(sequences_shape, list) and sequences_shape and isinstance(sequences_shape[0], (list, tuple)):
            raise ValueError(
                f"Layer {self.name!r} takes one sequence tensor; pass initial states as "
                f"`initial_state=`. Received input shapes: {sequences_shape}"
            )
        sequences_shape = tuple(sequences_shape)
        assert_input_compatibility(self.input_spec, [sequences_shape], self.name)
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell._maybe_build([(sequences_shape[0],) + sequences_shape[2:]])
        if isinstance(self.cell, Layer):
            prefix_weight_paths(self.cell, self.name)
        if self.stateful:
            batch_size = sequences_shape[0]
            if batch_size is None:
                raise ValueError(
                    f"Layer {self.name!r}: when using `stateful=True` in an RNN, the batch "
                    f"size must be static. Found dynamic batch size: "
                    f"sequence.shape={sequences_shape}. Pass `batch_size=` to the first "
                    f"layer or `batch_shape=` to `Input`."
                )
            self.states = [
                Variable(np.zeros((batch_size,) + shape, dtype=self.compute_dtype),
                         trainable=False, name="rnn_state")
                for shape in self._state_shapes
            ]
            for i, state in enumerate(self.states):
                state.path = f"{self.name}/rnn_state_{i}"
        self.built = True

    def compute_output_shape(self, sequences_shape):
        batch, timesteps = sequences_shape[0], sequences_shape[1]
        output = output_shape_of(self.cell)
        output_shape = (batch, timesteps) + output if self.return_sequences else (batch,) + output
        if self.return_state:
            return [output_shape] + [(batch,) + shape for shape in self._state_shapes]
        return output_shape

    def compute_mask(self, inputs, previous_mask=None):
        mask = tree.flatten(previous_mask)[0] if tree.is_nested(previous_mask) else previous_mask
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self._state_shapes)
        return output_mask

    # ------------------------------------------------------------ state
    def _seed_states(self):
        # The stateful carry is state that a compiled train step must thread
        # through like seed states, yet it is not a weight (Keras 2 saves no
        # states in weight files), so it joins the non-trainable variables here.
        return super()._seed_states() + list(self.states or [])

    def reset_states(self, states=None):
        """Zeroes the states of a stateful layer, or sets them to `states`
        (one array per state, ``(batch,) + state shape``).

        Raises:
            AttributeError: the layer is not stateful.
            ValueError: `states` has the wrong number of arrays or a wrong shape.
        """
        if not self.stateful:
            raise AttributeError(f"Layer {self.name!r} is not stateful; only stateful RNNs have states to reset.")
        if self.states is None:
            return
        if states is None:
            for state in self.states:
                state.assign(np.zeros(state.shape, dtype=state.dtype))
            return
        values = [states] if not isinstance(states, (list, tuple)) else list(states)
        if len(values) != len(self.states):
            raise ValueError(
                f"Layer {self.name!r} expects {len(self.states)} states, but it received "
                f"{len(values)} state values. Received: states={states!r}"
            )
        for state, value in zip(self.states, values):
            value = np.asarray(ops.convert_to_numpy(value) if _B.is_tensor(value) else value)
            if value.shape != tuple(state.shape):
                raise ValueError(
                    f"State {state.path!r} of layer {self.name!r} has shape {state.shape}; "
                    f"received a value of shape {value.shape}."
                )
            state.assign(value.astype(state.dtype))

    reset_state = reset_states

    def get_initial_state(self, batch_size):
        """Zero states for `batch_size` samples (a flat list)."""
        return [ops.zeros((batch_size,) + shape, dtype=self.compute_dtype) for shape in self._state_shapes]

    def _initial_states(self, sequences, initial_state):
        shapes = self._state_shapes
        if initial_state is None:
            if self.stateful:
                batch = _B.shape(sequences)[0]
                if batch is not None and batch != self.states[0].shape[0]:
                    raise ValueError(
                        f"Stateful layer {self.name!r} was built for batches of "
                        f"{self.states[0].shape[0]} samples; received a batch of {batch}. "
                        f"Every batch of a stateful RNN must have the same size."
                    )
                # A copy: the states are assigned after the loop, and torch
                # must not see the tensors its backward pass reads change.
                return [ops.add(state.value, 0) for state in self.states]
            return [batch_zeros(sequences, shape, self.compute_dtype) for shape in shapes]
        flat = tree.flatten(initial_state)
        if len(flat) != len(shapes):
            raise ValueError(
                f"Layer {self.name!r} has {len(shapes)} state(s) (cell.state_size="
                f"{self.cell.state_size}) but it received {len(flat)} initial state "
                f"tensor(s) in `initial_state`."
            )
        states = []
        for value, shape in zip(flat, shapes):
            value = ops.convert_to_tensor(value, dtype=self.compute_dtype)
            if tuple(_B.shape(value)[1:]) != shape:
                raise ValueError(
                    f"Layer {self.name!r}: an initial state has shape {tuple(_B.shape(value))}; "
                    f"expected (batch,) + {shape}."
                )
            states.append(value)
        return states

    # ------------------------------------------------------------- call
    def call(self, sequences, initial_state=None, mask=None, training=False):
        if tree.is_nested(mask):
            mask = tree.flatten(mask)[0]
        timesteps = _B.shape(sequences)[1]
        if self.unroll and timesteps is None:
            raise ValueError(
                f"Layer {self.name!r} cannot unroll a sequence whose time dimension is "
                f"unknown. Received: inputs.shape={tuple(_B.shape(sequences))}"
            )
        states = self._initial_states(sequences, initial_state)
        training = bool(training)
        fused = self._fused_call(sequences, states, mask, training)
        if fused is not None:
            last_output, outputs, states = fused
        else:
            self._prepare_dropout_masks(self.cell, sequences, states, training)
            try:
                last_output, outputs, states = self._scan(sequences, states, mask, training)
            finally:
                _reset_dropout_masks(self.cell)
        if self.stateful:
            for variable, value in zip(self.states, states):
                variable.assign(value)
        output = outputs if self.return_sequences else last_output
        if self.return_state:
            return [output] + list(states)
        return output

    def _fused_call(self, sequences, states, mask, training):
        """``(last_output, outputs, states)`` from a fused adapter kernel, or
        None to run the generic scan. Overridden by LSTM and GRU."""
        return None

    def _scan(self, sequences, states, mask, training):
        cell = self.cell
        dtype = self.compute_dtype
        rank = len(_B.shape(sequences))
        time_major = ops.transpose(sequences, (1, 0) + tuple(range(2, rank)))
        output_rank = 1 + len(output_shape_of(cell))
        kwargs = {"training": training} if self._cell_takes_training else {}
        has_mask = mask is not None
        keep_sequence = self.return_sequences
        zero_masked = self.zero_output_for_mask
        if has_mask:
            step_mask = ops.transpose(ops.cast(mask, "bool"), (1, 0))
            for _ in range(output_rank - 1):
                step_mask = ops.expand_dims(step_mask, -1)
            xs = [time_major, step_mask]
        else:
            xs = time_major
        init = [batch_zeros(sequences, output_shape_of(cell), dtype)] + list(states)

        def step(carry, x):
            previous_output, previous_states = carry[0], list(carry[1:])
            if has_mask:
                x, keep = x
            output, new_states = cell.call(x, previous_states, **kwargs)
            new_states = list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]
            if has_mask:
                new_states = [
                    ops.where(_fit_mask(keep, new), new, old)
                    for new, old in zip(new_states, previous_states)
                ]
                carried = ops.where(keep, output, previous_output)
                emitted = ops.where(keep, output, ops.zeros_like(output)) if zero_masked else carried
            else:
                carried = emitted = output
            return [carried] + new_states, (emitted if keep_sequence else None)

        with _weights_cast_once(cell):
            carry, outputs = ops.scan(step, init, xs, reverse=self.go_backwards,
                                      unroll=timesteps_or_one(sequences, self.unroll))
        if keep_sequence:
            if self.go_backwards:  # processing order, as Keras returns it
                outputs = ops.flip(outputs, axis=0)
            outputs = ops.transpose(outputs, (1, 0) + tuple(range(2, output_rank + 1)))
        return carry[0], outputs, list(carry[1:])

    def _prepare_dropout_masks(self, cell, sequences, states, training):
        """Draws the dropout masks before the loop, so that the loop body is pure."""
        if training:
            _draw_dropout_masks(cell, ops.getitem(sequences, (slice(None), 0)), states,
                                sequences, self.compute_dtype)

    # ---------------------------------------------------- serialization
    def get_config(self):
        config = {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }
        config["cell"] = serialize(self.cell)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = deserialize(config.pop("cell"), custom_objects)
        return cls(cell, **config)


@contextlib.contextmanager
def _weights_cast_once(cell):
    """Within a mixed-precision RNN's loop, `cell`'s weights read as the
    compute dtype are cast once, before the loop, not at every step: a
    traced loop body (``tf.while_loop``, ``lax.scan``) ran the casts of every
    weight at every step, and eager torch dispatched them. The body closes
    over the cast values (their gradients reach the variables through the
    one cast)."""
    if not autocast_in_use[0] or _local.autocast is None:
        yield
        return
    previous = _local.autocast_reads
    reads = dict(previous or {})
    for variable in cell.weights:
        value = variable.value
        if _B.dtype(value) != variable.dtype:  # read through a cast
            reads[id(variable)] = value
    _local.autocast_reads = reads
    try:
        yield
    finally:
        _local.autocast_reads = previous


def timesteps_or_one(sequences, unroll):
    """The scan's `unroll`: every step when unrolling, else 1."""
    if not unroll:
        return 1
    return int(_B.shape(sequences)[1])


def _fit_mask(mask, tensor):
    """`mask` (batch, 1, ...) with as many axes as `tensor`."""
    mask_rank, rank = len(_B.shape(mask)), len(_B.shape(tensor))
    while mask_rank < rank:
        mask = ops.expand_dims(mask, -1)
        mask_rank += 1
    while mask_rank > rank:
        mask = ops.squeeze(mask, -1)
        mask_rank -= 1
    return mask


def _draw_dropout_masks(cell, step_input, states, sequences, dtype):
    if isinstance(cell, DropoutRNNCell):
        cell.get_dropout_mask(step_input)
        cell.get_recurrent_dropout_mask(states[0])
    elif isinstance(cell, StackedRNNCells):
        start = 0
        for inner, count in zip(cell.cells, cell._state_counts()):
            _draw_dropout_masks(inner, step_input, states[start:start + count], sequences, dtype)
            start += count
            step_input = batch_zeros(sequences, output_shape_of(inner), dtype)


def _reset_dropout_masks(cell):
    if isinstance(cell, DropoutRNNCell):
        cell.reset_dropout_mask()
        cell.reset_recurrent_dropout_mask()
    elif isinstance(cell, StackedRNNCells):
        for inner in cell.cells:
            _reset_dropout_masks(inner)


_RNN_OPTIONS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll",
                "zero_output_for_mask")
_LAYER_OPTIONS = ("name", "trainable", "dtype", "input_shape", "batch_input_shape", "batch_size",
                  "input_dim", "input_length", "weights", "activity_regularizer", "autocast")
#: Keras 2 config keys of recurrent layers with no effect here.
_IGNORED_KERAS2_OPTIONS = ("implementation", "time_major", "use_cudnn")


class CellLayerMixin:
    """The layer form of a cell (``LSTM`` = ``RNN(LSTMCell(...))``).

    Subclasses set ``_cell_class`` and ``_cell_name``. The constructor takes
    the cell's arguments and ``RNN``'s; the cell's attributes (``units``,
    ``activation``, ...) read through the layer, and ``get_config`` is flat
    as in Keras (no nested ``cell`` entry).
    """

    _cell_class = None
    _cell_name = None
    _input_ndim = 3

    def __init__(self, units, **kwargs):
        cell_parameters = inspect.signature(self._cell_class.__init__).parameters
        rnn_kwargs = {k: kwargs.pop(k) for k in _RNN_OPTIONS if k in kwargs}
        layer_kwargs = {k: kwargs.pop(k) for k in _LAYER_OPTIONS if k in kwargs}
        self.use_cudnn = kwargs.pop("use_cudnn", "auto")
        if self.use_cudnn not in ("auto", True, False):
            raise ValueError(
                f"Invalid value for `use_cudnn`; expected one of 'auto', True, False. "
                f"Received: use_cudnn={self.use_cudnn!r}"
            )
        if kwargs.pop("time_major", False):
            raise ValueError(f"{type(self).__name__} does not support `time_major=True`; "
                             f"pass batch-major inputs (batch, timesteps, features).")
        unknown = sorted(k for k in kwargs if k not in cell_parameters and k not in _IGNORED_KERAS2_OPTIONS)
        if unknown:
            raise TypeError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: "
                f"{ {k: kwargs[k] for k in unknown} }"
            )
        for key in _IGNORED_KERAS2_OPTIONS:
            kwargs.pop(key, None)
        cell = self._cell_class(
            units, name=self._cell_name, dtype=layer_kwargs.get("dtype"),
            trainable=layer_kwargs.get("trainable", True), **kwargs,
        )
        super().__init__(cell, **rnn_kwargs, **layer_kwargs)
        self.input_spec = InputSpec(ndim=self._input_ndim)

    def __getattr__(self, name):
        # Only reached for names the layer itself lacks: the cell's options.
        cell = self.__dict__.get("cell")
        if cell is None or name.startswith("_"):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return getattr(cell, name)

    def get_config(self):
        config = RNN.get_config(self)
        cell_config = dict(config.pop("cell")["config"])
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        if self.use_cudnn != "auto":
            config["use_cudnn"] = self.use_cudnn
        return {**config, **cell_config}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)
