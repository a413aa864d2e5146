"""The graph machinery under layers and models: symbolic tensors, operations,
nodes, input specs and the call context. ``kfacade.engine.topology`` is the
Keras 2 import path of ``Layer`` and ``InputSpec``."""
