"""Rematerialization (gradient checkpointing): ``keras.remat`` and ``keras.RematScope``.

Rematerializing a function drops its intermediate activations after the
forward pass and recomputes them in the backward pass: less memory for more
compute. ``remat(f)`` does it for one function (the adapter's ``remat``:
``jax.checkpoint``, ``tf.recompute_grad``, ``torch.utils.checkpoint``).
On TensorFlow it recomputes eagerly and under XLA (``jit_compile=True``)
only: in a plain ``tf.function`` graph ``tf.recompute_grad`` trained
nondeterministically, so there the function runs as it is.

``RematScope`` marks the layers *constructed* under it (as Keras 3, which
reads the scope in the constructor, not at call time): ``Layer.__init__``
stores ``current_remat_mode()`` in ``layer._remat_mode``, and the layer's
eager calls then go through ``Layer.rematerialized_call``, which picks the
function to rematerialize by mode. A layer built outside any scope pays one
attribute check per call.

Unlike Keras 3, a layer holding non-trainable variables (Dropout's seed,
BatchNormalization's moving statistics, frozen weights) runs its ``call``
un-rematerialized: recomputing a call that assigns state would assign it
twice, or on JAX leak traced values out of the checkpoint.
"""
import math
import threading
from collections import namedtuple

from kfacade.backend.active import adapter as _B
from kfacade.engine import tree
from kfacade.engine.keras_tensor import KerasTensor
from kfacade.engine.operation import run_on_dummies

_MODES = ("full", "activations", "larger_than", "list_of_layers", None)

#: What a layer records from the innermost scope at its construction.
RematMode = namedtuple("RematMode", ["mode", "output_size_threshold", "layer_names"])


class _ScopeStack(threading.local):
    def __init__(self):
        self.scopes = []


_stack = _ScopeStack()


class RematScope:
    """A context manager enabling rematerialization for the layers created in it.

    Rematerialization (gradient checkpointing) recomputes intermediate
    activations during the backward pass instead of storing them, trading
    compute for memory: larger models or batches fit. Create the layers (or
    the model) inside the scope; the mode is applied when they are called.
    The innermost scope wins.

    Args:
        mode: ``"full"``: every layer's ``call``; ``"activations"``: only the
            ``activation`` of layers that have one (``Dense(..., activation=
            "relu")``); ``"larger_than"``: the layers whose outputs have more
            than `output_size_threshold` entries; ``"list_of_layers"``: the
            layers named in `layer_names`; ``None``: none (turns an outer
            scope off).
        output_size_threshold: the threshold of ``"larger_than"`` (1024).
        layer_names: the layer names of ``"list_of_layers"`` (default none).

    Example:
        >>> with kfacade.RematScope(mode="list_of_layers", layer_names=["big"]):
        ...     big = kfacade.layers.Dense(4096, name="big")
        ...     small = kfacade.layers.Dense(8)   # not rematerialized
    """

    def __init__(self, mode="full", output_size_threshold=1024, layer_names=None):
        if mode not in _MODES:
            raise ValueError(
                f"Invalid mode '{mode}'. Supported modes are: 'full', 'activations', "
                "'larger_than', 'list_of_layers', or None."
            )
        self.mode = mode
        self.output_size_threshold = output_size_threshold
        self.layer_names = layer_names or []
        self._pop_on_exit = False

    def __enter__(self):
        _stack.scopes.append(self)
        self._pop_on_exit = True
        return self

    def __exit__(self, *exc):
        if self._pop_on_exit:
            _stack.scopes.pop()
            self._pop_on_exit = False


def get_current_remat_mode():
    """The innermost active scope's ``RematMode``, or None outside any scope."""
    scopes = _stack.scopes
    if not scopes:
        return None
    scope = scopes[-1]
    return RematMode(scope.mode, scope.output_size_threshold, scope.layer_names)


def remat(f):
    """Applies rematerialization to `f`: its activations are recomputed in the
    backward pass instead of stored (Keras 3's ``keras.remat``).

    Args:
        f: a callable of tensors, usually an expensive one (a block of layers).

    Returns:
        A function computing ``f(*args, **kwargs)`` with the same value and
        gradients (also for the variables `f` reads), whose backward pass
        reruns `f`. Only the tensor arguments go through the framework's
        checkpoint; every other argument (``training=True``, a shape, None)
        is passed to `f` unchanged, so `f` may branch on it in Python.

    Example:
        >>> block = kfacade.remat(lambda x: kfacade.ops.tanh(x) * 2.0)
        >>> y = block(x)   # the same as tanh(x) * 2, less stored for grad
    """

    def rematerialized(*args, **kwargs):
        leaves = tree.flatten((args, kwargs))
        positions = [i for i, leaf in enumerate(leaves) if _B.is_tensor(leaf)]

        def on_tensors(*tensors):
            filled = list(leaves)
            for i, tensor in zip(positions, tensors):
                filled[i] = tensor
            call_args, call_kwargs = tree.pack_sequence_as((args, kwargs), filled)
            return f(*call_args, **call_kwargs)

        return _B.remat(on_tensors)(*(leaves[i] for i in positions))

    rematerialized.__wrapped__ = f
    return rematerialized


def layer_call_for(layer, layer_call, args, kwargs):
    """The function a layer built under a ``RematScope`` runs for ``layer_call(*args,
    **kwargs)``: `layer_call` itself, or it (or its activation) rematerialized,
    as `layer._remat_mode` selects (``Layer.rematerialized_call``)."""
    remat_mode = layer._remat_mode
    mode = None if remat_mode is None else remat_mode.mode
    if mode is None or (mode != "activations" and layer.non_trainable_variables):
        # A call that assigns state (seeds, moving statistics) must run once:
        # a recomputation would update it twice (torch, TensorFlow) or leak
        # the values traced inside the checkpoint (JAX). Its sublayers built
        # under the scope are still rematerialized one by one.
        return layer_call
    if mode == "full":
        return remat(layer_call)
    if mode == "list_of_layers":
        return remat(layer_call) if layer.name in remat_mode.layer_names else layer_call
    if mode == "activations":
        activation = getattr(layer, "activation", None)
        if activation is None:
            return layer_call

        def with_rematerialized_activation(*call_args, **call_kwargs):
            layer.activation = remat(activation)
            try:
                return layer_call(*call_args, **call_kwargs)
            finally:
                layer.activation = activation

        return with_rematerialized_activation
    if mode == "larger_than":
        size = _output_size(layer, layer_call, args, kwargs)
        if size and size > remat_mode.output_size_threshold:
            return remat(layer_call)
    return layer_call


def _output_size(layer, layer_call, args, kwargs):
    """The number of output entries of ``layer_call(*args, **kwargs)`` (unknown
    dimensions count 1, as in Keras), inferred without computing and
    remembered per input shapes: an eager loop asks once."""
    leaves = tree.flatten((args, kwargs))
    shapes = tuple(tuple(_B.shape(x)) for x in leaves if _B.is_tensor(x))
    sizes = layer.__dict__.setdefault("_remat_output_sizes", {})
    size = sizes.get(shapes)
    if size is None:
        if layer._has_shape_rule:
            tensor_shapes = [list(s) for s in shapes]
            output_shapes = layer.compute_output_shape(
                tuple(tensor_shapes[0]) if len(tensor_shapes) == 1 else tensor_shapes)
        else:
            stand_ins = tree.pack_sequence_as((args, kwargs), [
                KerasTensor(tuple(_B.shape(x)), _B.dtype(x)) if _B.is_tensor(x) else x
                for x in leaves
            ])
            outputs = run_on_dummies(layer_call, stand_ins[0], stand_ins[1])
            output_shapes = [x.shape for x in tree.flatten(outputs) if isinstance(x, KerasTensor)]
        size = sum(math.prod(d or 1 for d in shape) for shape in _shape_list(output_shapes))
        sizes[shapes] = size
    return size


def _shape_list(shapes):
    """One shape (a tuple of ints) as ``[shape]``; a nest of shapes as a flat list of them."""
    if isinstance(shapes, (list, tuple)) and all(d is None or isinstance(d, int) for d in shapes):
        return [tuple(shapes)]
    flat = []
    for item in shapes.values() if isinstance(shapes, dict) else shapes:
        flat.extend(_shape_list(item))
    return flat
