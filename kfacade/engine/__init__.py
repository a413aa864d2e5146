"""The graph machinery under layers and models: symbolic tensors, operations,
nodes, input specs and the call context. ``kfacade.engine.topology``, the
Keras 2 import path of ``Layer`` and ``InputSpec``, is ``kfacade/legacy/topology.py``
(aliased there by ``kfacade/__init__.py``)."""
