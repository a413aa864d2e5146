"""Keras 2's control flow: ``K.switch``, ``K.in_train_phase``, ``K.rnn``, ``K.map_fn``, folds.

Each works on native tensors and, where Keras 2 allowed it, on
``KerasTensor``s (it then becomes one graph node). Loops run on
``kfacade.ops.scan``, so each backend uses its own loop construct.
"""
import contextlib

from kfacade import ops
from kfacade.engine.keras_tensor import KerasTensor
from kfacade.engine.operation import has_symbolic, symbolic_op
from kfacade.legacy.backend_graph import learning_phase


def _node_or_call(fn, name, *args, **kwargs):
    """`fn(*args, **kwargs)`, or a graph node of it when an argument is symbolic."""
    if has_symbolic(args, kwargs):
        return symbolic_op(fn, name, args, kwargs)
    return fn(*args, **kwargs)


def _is_python_flag(x):
    return isinstance(x, (bool, int)) and not isinstance(x, KerasTensor)


def _evaluate(branch):
    return branch() if callable(branch) else branch


def _switch_tensors(condition, then_value, else_value):
    condition = ops.cast(condition, "bool")
    cond_ndim = ops.ndim(condition)
    expr_ndim = max(ops.ndim(then_value), ops.ndim(else_value))
    if cond_ndim > expr_ndim:
        raise ValueError(
            "K.switch: the rank of `condition` must be at most the rank of "
            f"`then_expression` and `else_expression`. Received: condition rank {cond_ndim}, "
            f"expression rank {expr_ndim}"
        )
    # Keras 2 lines a lower-rank condition up with the leading axes.
    for _ in range(expr_ndim - cond_ndim if cond_ndim else 0):
        condition = ops.expand_dims(condition, -1)
    return ops.where(condition, then_value, else_value)


def switch(condition, then_expression, else_expression):
    """`then_expression` where `condition` holds, else `else_expression`.

    Args:
        condition: a Python bool/int (``K.learning_phase()``): the branch is
            chosen and only it is evaluated; or a tensor: a scalar picks a
            whole branch, a tensor of lower rank than the branches is lined
            up with their leading axes (a per-sample choice).
        then_expression, else_expression: tensors, or callables returning one.

    Example:
        >>> K.switch(K.greater(x, 0), x, 0.1 * x)
    """
    if _is_python_flag(condition):
        return _evaluate(then_expression if condition else else_expression)
    then_value, else_value = _evaluate(then_expression), _evaluate(else_expression)
    return _node_or_call(_switch_tensors, "switch", condition, then_value, else_value)


def in_train_phase(x, alt, training=None):
    """`x` in the training phase, `alt` otherwise (either may be a callable).

    Args:
        training: the flag; None reads ``K.learning_phase()`` (the training
            flag of the enclosing layer call).
    """
    if training is None:
        training = learning_phase()
    if _is_python_flag(training):
        return _evaluate(x if training else alt)
    return switch(training, x, alt)


def in_test_phase(x, alt, training=None):
    """`x` in the test phase, `alt` in the training phase."""
    return in_train_phase(alt, x, training=training)


def _time_major(x):
    rank = ops.ndim(x)
    return ops.transpose(x, (1, 0) + tuple(range(2, rank)))


def _rnn(step_function, inputs, initial_states, go_backwards, mask, constants, unroll):
    inputs = ops.convert_to_tensor(inputs)
    states = [ops.convert_to_tensor(s) for s in initial_states]
    constants = [ops.convert_to_tensor(c) for c in constants or []]
    steps = ops.shape(inputs)[1]
    sequence = _time_major(inputs)
    scan_unroll = int(steps) if unroll else 1

    if mask is None:
        def step(carry, x):
            output, new_states = step_function(x, list(carry) + constants)
            return list(new_states), output

        final_states, outputs = ops.scan(step, states, sequence, reverse=go_backwards,
                                         unroll=scan_unroll)
        if go_backwards:
            outputs = ops.flip(outputs, axis=0)
        last_output = outputs[-1]
    else:
        keep = ops.cast(mask, "bool")
        if ops.ndim(keep) == 3:  # a (samples, time, 1) mask
            keep = ops.squeeze(keep, -1)
        keep = ops.transpose(keep, (1, 0))
        first = ops.take(sequence, ops.shape(sequence)[0] - 1 if go_backwards else 0, axis=0)
        # One step outside the loop gives the output's shape for the carried output.
        probe, _ = step_function(first, states + constants)
        previous = ops.zeros_like(probe)

        def fit(keep_t, tensor):
            for _ in range(ops.ndim(tensor) - 1):
                keep_t = ops.expand_dims(keep_t, -1)
            return keep_t

        def step(carry, x):
            x_t, keep_t = x
            previous_output, previous_states = carry[0], list(carry[1:])
            output, new_states = step_function(x_t, previous_states + constants)
            # A masked step repeats the previous output and keeps the states.
            output = ops.where(fit(keep_t, output), output, previous_output)
            new_states = [ops.where(fit(keep_t, new), new, old)
                          for new, old in zip(new_states, previous_states)]
            return [output] + new_states, output

        carry, outputs = ops.scan(step, [previous] + states, [sequence, keep],
                                  reverse=go_backwards, unroll=scan_unroll)
        if go_backwards:
            outputs = ops.flip(outputs, axis=0)
        last_output, final_states = carry[0], list(carry[1:])
    return last_output, _time_major(outputs), list(final_states)


def rnn(step_function, inputs, initial_states, go_backwards=False, mask=None, constants=None,
        unroll=False, input_length=None):
    """Iterates `step_function` over the time axis of `inputs` (Keras 2's ``K.rnn``).

    Args:
        step_function: ``(input_t, states) -> (output_t, new_states)``;
            `input_t` is (samples, ...), `states` the list of states followed
            by `constants`, `new_states` a list like `initial_states`.
        inputs: (samples, time, ...).
        initial_states: list of (samples, ...) tensors.
        go_backwards: iterate from the last time step to the first; the
            outputs are returned in that processing order, as in Keras 2.
        mask: (samples, time) (or (samples, time, 1)); at a masked step the
            output repeats the previous one (zeros before the first) and the
            states stay as they were.
        constants: tensors passed to every step after the states.
        unroll: unroll the loop (the time axis must be known).
        input_length: accepted for Keras 2 compatibility (Theano's unroll).

    Returns:
        ``(last_output, outputs, new_states)``: (samples, ...),
        (samples, time, ...) and the list of final states.
    """
    return _node_or_call(_rnn, "rnn", step_function, inputs, list(initial_states), go_backwards,
                         mask, list(constants or []), unroll)


def _map_fn(fn, elems):
    _, outputs = ops.scan(lambda carry, x: (carry, fn(x)), [], elems)
    return outputs


def map_fn(fn, elems, name=None, dtype=None):
    """`fn` applied to each element of `elems` along its first axis, results stacked.

    Args:
        fn: ``element -> tensor``.
        elems: a tensor (or a list of tensors, passed to `fn` as a list).
        name, dtype: accepted for Keras 2 compatibility.
    """
    return _node_or_call(_map_fn, "map_fn", fn, elems)


def _fold(fn, elems, initializer, reverse):
    elems = ops.convert_to_tensor(elems)
    if initializer is None:
        index = ops.shape(elems)[0] - 1 if reverse else 0
        initializer = ops.take(elems, index, axis=0)
        elems = elems[:-1] if reverse else elems[1:]
    initializer = ops.convert_to_tensor(initializer)
    (result,), _ = ops.scan(lambda carry, x: ([fn(carry[0], x)], None), [initializer], elems,
                            reverse=reverse)
    return result


def foldl(fn, elems, initializer=None, name=None):
    """``fn(...fn(fn(initializer, elems[0]), elems[1])..., elems[-1])``; without an
    initializer, the first element starts."""
    return _node_or_call(_fold, "foldl", fn, elems, initializer, False)


def foldr(fn, elems, initializer=None, name=None):
    """As ``foldl``, from the last element to the first."""
    return _node_or_call(_fold, "foldr", fn, elems, initializer, True)


@contextlib.contextmanager
def name_scope(name):
    """Keras 2's ``K.name_scope`` (TensorFlow's name scopes): kfacade names
    variables by layer, so the scope only yields `name`."""
    yield name
