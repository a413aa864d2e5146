"""The model's entry point: ``Input`` makes the symbolic tensor a functional
model starts from; ``InputLayer`` is the layer that owns it."""
from kfacade.backend.config import floatx
from kfacade.backend.dtypes import standardize_dtype
from kfacade.engine.keras_tensor import KerasTensor
from kfacade.engine.operation import Node
from kfacade.layers.layer import Layer


class InputLayer(Layer):
    """Holds the symbolic input of a model.

    Args:
        shape: the shape of one sample, without the batch axis.
        batch_size: an optional fixed batch size.
        dtype: the input's dtype (default floatx).
        input_tensor: an existing KerasTensor to use instead of a new one.
        batch_shape / batch_input_shape / input_shape: alternatives to `shape`
            (Keras 2 names).
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None,
                 input_tensor=None, name=None, input_shape=None, batch_input_shape=None, **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)
        shape = shape if shape is not None else input_shape
        batch_shape = batch_shape if batch_shape is not None else batch_input_shape
        if shape is not None and batch_shape is not None:
            raise ValueError("Give `shape` or `batch_shape` to an InputLayer, not both.")
        if input_tensor is not None:
            batch_shape = input_tensor.shape
        elif batch_shape is None:
            if shape is None:
                raise ValueError("An InputLayer needs `shape` (or `batch_shape`). Received neither.")
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size,) + tuple(shape)
        self._batch_shape = tuple(batch_shape)
        self._dtype = standardize_dtype(dtype) or floatx()
        self.built = True
        if input_tensor is None:
            input_tensor = KerasTensor(self._batch_shape, self._dtype, name=self.name)
        self._input_tensor = input_tensor
        Node(self, (), {}, input_tensor)

    @property
    def batch_shape(self):
        return self._batch_shape

    def call(self, inputs=None):
        return inputs

    def get_config(self):
        return {"batch_shape": self._batch_shape, "dtype": self._dtype, "name": self.name}


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None,
          tensor=None, **kwargs):
    """A symbolic tensor to build a functional model from.

    Args:
        shape: the shape of one sample (a tuple, without the batch axis).
        batch_size: an optional fixed batch size.
        dtype: dtype name (default floatx).
        batch_shape: the full shape including the batch axis, instead of `shape`.
        name: a unique name.

    Example:
        >>> inputs = kfacade.Input(shape=(784,))
        >>> outputs = kfacade.layers.Dense(10)(inputs)
        >>> model = kfacade.Model(inputs, outputs)
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, batch_shape=batch_shape,
                       name=name, input_tensor=tensor, **kwargs)
    return layer._input_tensor
