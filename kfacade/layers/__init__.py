"""``kfacade.layers``: every layer class, Keras's names."""
from kfacade.engine.input_spec import InputSpec
from kfacade.layers.core.dense import Dense
from kfacade.layers.core.simple import Activation, Dropout, Flatten, Lambda, Reshape
from kfacade.layers.input_layer import Input, InputLayer
from kfacade.layers.layer import Layer
from kfacade.layers.normalization.batch_normalization import BatchNormalization
from kfacade.layers.serialization import deserialize_layer as deserialize
from kfacade.layers.serialization import serialize_layer as serialize
