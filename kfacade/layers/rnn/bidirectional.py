"""Bidirectional: one recurrent layer run forwards, a copy run backwards."""
from kfacade import ops
from kfacade.engine import tree
from kfacade.layers.layer import Layer
from kfacade.layers.core.wrapper import prefix_weight_paths
from kfacade.layers.rnn.cell_base import deserialize, serialize

_MERGE_MODES = ("sum", "mul", "concat", "ave", None)


class Bidirectional(Layer):
    """Runs `layer` over the sequence forwards and a copy backwards, and merges.

    Args:
        layer: a recurrent layer (``LSTM``, ``GRU``, ``SimpleRNN``, ``RNN``).
            The wrapper holds a fresh copy of it made from its config,
            named "forward_<name>" (`layer` itself is not used).
        merge_mode: "concat" (default), "sum", "mul", "ave", or None to
            return the two outputs as a list ``[forward, backward]``.
        backward_layer: the layer to run backwards (it must have
            ``go_backwards`` opposite to `layer`'s, and the same
            ``return_sequences`` and ``return_state``); by default a copy of
            `layer` with ``go_backwards`` flipped, named "backward_<name>".

    The backward output sequence is flipped back into input order before
    merging. With ``return_state`` the output is
    ``[merged, *forward_states, *backward_states]``; ``initial_state`` takes
    the forward states then the backward ones.

    Weights: the forward layer's, then the backward layer's, named
    "bidirectional/forward_lstm/lstm_cell/kernel", ...

    Example:
        >>> layer = Bidirectional(LSTM(4, return_sequences=True))
        >>> layer(np.zeros((2, 5, 3), "float32")).shape  # (2, 5, 8)
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer) or not hasattr(layer, "return_sequences"):
            raise ValueError(
                f"Please initialize `Bidirectional` layer with a recurrent `kfacade.layers.Layer` "
                f"instance. Received: {layer!r}"
            )
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                f"Invalid merge mode. Received: merge_mode={merge_mode!r}; expected one of "
                f"{list(_MERGE_MODES)}."
            )
        super().__init__(**kwargs)
        config = serialize(layer)
        config["config"]["name"] = "forward_" + _strip(layer.name, "forward_")
        self.forward_layer = deserialize(config)
        if backward_layer is None:
            config = serialize(layer)
            config["config"]["go_backwards"] = not layer.go_backwards
            config["config"]["name"] = "backward_" + _strip(layer.name, "backward_")
            self.backward_layer = deserialize(config)
        else:
            if not isinstance(backward_layer, Layer):
                raise ValueError(
                    f"`backward_layer` must be a `kfacade.layers.Layer` instance. "
                    f"Received: backward_layer={backward_layer!r}"
                )
            self.backward_layer = backward_layer
        self._check_layers()
        for inner in (self.forward_layer, self.backward_layer):
            if hasattr(inner, "zero_output_for_mask"):
                # Masked steps of one direction must not leak the other
                # direction's idea of "previous output" into the merged sequence.
                inner.zero_output_for_mask = inner.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = self.forward_layer.return_sequences
        self.return_state = self.forward_layer.return_state
        self.stateful = getattr(self.forward_layer, "stateful", False)
        self.supports_masking = True
        self.input_spec = self.forward_layer.input_spec
        self._initial_weights_values = weights

    def _check_layers(self):
        forward, backward = self.forward_layer, self.backward_layer
        if getattr(forward, "go_backwards", False) == getattr(backward, "go_backwards", False):
            raise ValueError(
                f"Forward layer and backward layer should have different `go_backwards` "
                f"values. Received: forward_layer.go_backwards={forward.go_backwards}, "
                f"backward_layer.go_backwards={backward.go_backwards}"
            )
        for attribute in ("stateful", "return_sequences", "return_state"):
            a, b = getattr(forward, attribute, None), getattr(backward, attribute, None)
            if a != b:
                raise ValueError(
                    f"Forward layer and backward layer are expected to have the same value "
                    f"for attribute {attribute!r}. Received: forward {a}, backward {b}"
                )

    def _num_states(self, layer):
        return len(layer._state_shapes) if hasattr(layer, "_state_shapes") else 0

    def build(self, sequences_shape):
        for inner in (self.forward_layer, self.backward_layer):
            if not inner.built:
                inner._maybe_build([tuple(sequences_shape)])
            prefix_weight_paths(inner, self.name)
        self.built = True
        if self._initial_weights_values is not None:
            self.set_weights(self._initial_weights_values)
            self._initial_weights_values = None

    def call(self, sequences, initial_state=None, mask=None, training=None):
        if tree.is_nested(mask):
            mask = tree.flatten(mask)[0]
        forward_kwargs, backward_kwargs = {}, {}
        if initial_state is not None:
            states = tree.flatten(initial_state)
            half = self._num_states(self.forward_layer)
            if len(states) != half + self._num_states(self.backward_layer):
                raise ValueError(
                    f"Layer {self.name!r}: `initial_state` must hold the forward layer's "
                    f"{half} state(s) then the backward layer's "
                    f"{self._num_states(self.backward_layer)}. Received {len(states)} tensors."
                )
            forward_kwargs["initial_state"] = states[:half]
            backward_kwargs["initial_state"] = states[half:]
        common = {"training": training} if training is not None else {}
        if mask is not None:
            common["mask"] = mask
        y = self.forward_layer(sequences, **forward_kwargs, **common)
        y_rev = self.backward_layer(sequences, **backward_kwargs, **common)
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = ops.flip(y_rev, axis=1)
        if self.merge_mode == "concat":
            output = ops.concatenate([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            output = ops.add(y, y_rev)
        elif self.merge_mode == "ave":
            output = ops.multiply(ops.add(y, y_rev), 0.5)
        elif self.merge_mode == "mul":
            output = ops.multiply(y, y_rev)
        else:
            output = [y, y_rev]
        if self.return_state:
            return (output if isinstance(output, list) else [output]) + states
        return output

    def compute_output_shape(self, sequences_shape):
        forward = self.forward_layer.compute_output_shape(sequences_shape)
        backward = self.backward_layer.compute_output_shape(sequences_shape)
        if self.return_state:
            forward, forward_states = tuple(forward[0]), [tuple(s) for s in forward[1:]]
            backward, backward_states = tuple(backward[0]), [tuple(s) for s in backward[1:]]
        forward, backward = tuple(forward), tuple(backward)
        if self.merge_mode == "concat":
            outputs = [forward[:-1] + (forward[-1] + backward[-1],)]
        elif self.merge_mode is None:
            outputs = [forward, backward]
        else:
            outputs = [forward]
        if self.return_state:
            return outputs + forward_states + backward_states
        return outputs if len(outputs) > 1 else outputs[0]

    def compute_mask(self, inputs, previous_mask=None):
        mask = tree.flatten(previous_mask)[0] if tree.is_nested(previous_mask) else previous_mask
        output_mask = mask if self.return_sequences else None
        masks = [output_mask, output_mask] if self.merge_mode is None else [output_mask]
        if self.return_state:
            states = self._num_states(self.forward_layer) + self._num_states(self.backward_layer)
            return masks + [None] * states
        return masks if len(masks) > 1 else masks[0]

    def reset_states(self, states=None):
        """Resets both directions' states (stateful layers only)."""
        if states is None:
            self.forward_layer.reset_states()
            self.backward_layer.reset_states()
            return
        half = self._num_states(self.forward_layer)
        self.forward_layer.reset_states(list(states)[:half])
        self.backward_layer.reset_states(list(states)[half:])

    reset_state = reset_states

    def get_config(self):
        config = {**super().get_config(), "merge_mode": self.merge_mode,
                  "layer": serialize(self.forward_layer),
                  "backward_layer": serialize(self.backward_layer)}
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = deserialize(config.pop("layer"), custom_objects)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            backward = deserialize(backward, custom_objects)
        return cls(layer, backward_layer=backward, **config)


def _strip(name, prefix):
    return name[len(prefix):] if name.startswith(prefix) else name
