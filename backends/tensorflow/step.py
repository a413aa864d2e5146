"""Autodiff and compiled steps: ``tf.GradientTape`` and ``tf.function``."""
import contextlib

import numpy as np
import tensorflow as tf

from kfacade.backend.state import compiled_step_trace

__all__ = ["value_and_grad", "no_grad", "compile_function"]


def value_and_grad(fn, variables):
    """Watches each variable's current value (its ``tf.Variable``, or the tensor a
    stateless scope maps it to); works eagerly and inside a ``tf.function``."""
    sources = [variable.value for variable in variables]
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        for source in sources:
            tape.watch(source)
        loss, aux = fn()
    grads = tape.gradient(loss, sources, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    # Gathers give IndexedSlices; the contract promises dense tensors.
    grads = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in grads]
    return (loss, aux), grads


def no_grad():
    """A null context: TensorFlow records gradients only inside a ``GradientTape``."""
    return contextlib.nullcontext()


def _prepared(data):
    """`data` with its NumPy arrays as tensors, and a hashable key of its
    structure, tensor shapes and dtypes and other values: which traced
    ConcreteFunction a step call takes. One pass, cheaper than tf.nest's."""
    if isinstance(data, (np.ndarray, np.generic)):
        data = tf.convert_to_tensor(data)
    if isinstance(data, tf.Tensor):
        return data, (tuple(data.shape), data.dtype)
    if isinstance(data, (tuple, list)):
        pairs = [_prepared(item) for item in data]
        items = [item for item, _ in pairs]
        return (tuple(items) if type(data) is tuple else type(data)(items) if isinstance(data, list)
                else type(data)(*items)), (type(data),) + tuple(key for _, key in pairs)
    if isinstance(data, dict):
        pairs = {k: _prepared(v) for k, v in data.items()}
        return ({k: v for k, (v, _) in pairs.items()},
                (dict,) + tuple((k, key) for k, (_, key) in sorted(pairs.items(), key=lambda kv: str(kv[0]))))
    if isinstance(data, tf.Variable):
        return data, (id(data),)
    return data, (type(data), data)


def use_xla(jit_compile):
    """XLA when asked for, or for "auto" when TensorFlow has a GPU: on CPU, XLA
    made the MNIST MLP's fit step 4x slower (21 -> 82 ms) than the plain graph."""
    if jit_compile == "auto":
        return bool(tf.config.list_logical_devices("GPU"))
    return bool(jit_compile)


def compile_function(fn, state_variables, jit_compile):
    """A ``tf.function`` of `fn` (XLA when `jit_compile`); variables update in place.

    NumPy arrays in `data` become tensors before the call, so a new batch of
    the same shape and dtype reuses the trace. One trace per input shape, as
    ``jax.jit``: ``reduce_retracing`` would relax shapes to None, and the
    contract (and kfacade's losses) rely on static int shapes. A ``fit``
    traces twice at most (full batches, the last partial one).
    `state_variables` is not needed: ``tf.function`` tracks the
    ``tf.Variable``s `fn` touches.
    """
    # No autograph: kfacade code never branches in Python on tensor values (the
    # same step must trace under jax.jit), and converting every function the
    # step reaches made tracing 10-25x slower (14.5 s -> 0.6 s on an
    # augmentation model).
    def traced(data):
        # Runs only while tf.function traces: Python values are frozen here.
        with compiled_step_trace():
            return fn(data)

    function = tf.function(traced, jit_compile=use_xla(jit_compile), autograph=False)
    # One ConcreteFunction per input signature, called directly: tf.function's
    # own dispatch (trace-type matching of every argument) cost 0.1-0.2 ms
    # a call, as much as a small model's whole step.
    concrete = {}

    def step(data):
        data, key = _prepared(data)
        call = concrete.get(key)
        if call is None:
            call = concrete[key] = function.get_concrete_function(data)
        return call(data)

    step.tf_function = function  # the traced function, for inspection
    return step
