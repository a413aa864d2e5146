"""StackedRNNCells: several cells run as one, each feeding the next."""
from kfacade.layers.layer import Layer
from kfacade.layers.core.wrapper import prefix_weight_paths
from kfacade.layers.rnn.cell_base import flat_state_shapes, output_shape_of


class StackedRNNCells(Layer):
    """Wraps a list of cells so that an ``RNN`` runs them as one deep cell.

    At each timestep the first cell reads the input, each next cell reads
    the previous cell's output, and the last cell's output is the stack's.

    Args:
        cells: a list of cells (``LSTMCell``, ``GRUCell``, ... ).

    States: the cells' states in cell order, as one flat list (an
    ``LSTMCell`` then a ``GRUCell`` give ``[h1, c1, h2]``); ``RNN(...,
    return_state=True)`` returns them so, and ``initial_state`` takes them so.

    Example:
        >>> cells = [LSTMCell(8), LSTMCell(4)]
        >>> outputs = RNN(StackedRNNCells(cells))(np.zeros((2, 5, 3), "float32"))  # (2, 4)
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        cells = list(cells)
        for cell in cells:
            if not (hasattr(cell, "call") and hasattr(cell, "state_size")):
                raise ValueError(
                    f"All cells of StackedRNNCells must have a `call` method and a "
                    f"`state_size` attribute. Received: cell={cell!r}"
                )
        if not cells:
            raise ValueError("StackedRNNCells needs at least one cell. Received: cells=[]")
        self.cells = cells

    @property
    def state_size(self):
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self):
        last = self.cells[-1]
        return getattr(last, "output_size", None) or flat_state_shapes(last.state_size)[0][0]

    def _state_counts(self):
        return [len(flat_state_shapes(cell.state_size)) for cell in self.cells]

    def build(self, input_shape):
        shape = tuple(input_shape)
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell._maybe_build([shape])
            prefix_weight_paths(cell, self.name)
            shape = (shape[0],) + output_shape_of(cell)
        self.built = True

    def call(self, inputs, states, training=False):
        new_states, start = [], 0
        for cell, count in zip(self.cells, self._state_counts()):
            cell_states = list(states[start:start + count])
            start += count
            inputs, cell_new = cell.call(inputs, cell_states, training=training)
            new_states.extend(cell_new if isinstance(cell_new, (list, tuple)) else [cell_new])
        return inputs, new_states

    def get_initial_state(self, batch_size=None):
        states = []
        for cell in self.cells:
            states.extend(cell.get_initial_state(batch_size))
        return states

    def get_config(self):
        from kfacade.layers.rnn.cell_base import serialize

        return {**super().get_config(), "cells": [serialize(cell) for cell in self.cells]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kfacade.layers.rnn.cell_base import deserialize

        config = dict(config)
        cells = [deserialize(c, custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)
