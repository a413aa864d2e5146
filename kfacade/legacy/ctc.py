"""Connectionist temporal classification (CTC) for Keras 2's ``K.ctc_batch_cost``
and ``K.ctc_decode``, written once over ``kfacade.ops``.

The loss is the forward (alpha) recursion of Graves et al. (2006) in log
space, one ``ops.scan`` over time for the whole batch: the label ``l`` is
extended with blanks to ``l' = (blank, l1, blank, l2, ..., blank)`` and

    alpha_t(s) = logsumexp(alpha_{t-1}(s), alpha_{t-1}(s-1),
                           alpha_{t-1}(s-2) if l'(s) != blank and l'(s) != l'(s-2))
                 + log y_t(l'(s))

with the loss ``-logsumexp(alpha_{T-1}(|l'|-1), alpha_{T-1}(|l'|-2))``.
The blank is the last class, as in Keras 2 (TensorFlow's ``ctc_loss``).
Impossible paths hold a large negative number, not -inf, so that gradients
stay finite.
"""
import numpy as np

from kfacade import ops
from kfacade.backend.config import epsilon, floatx
from kfacade.engine.keras_tensor import KerasTensor
from kfacade.engine.operation import Node, OpCall, has_symbolic

_IMPOSSIBLE = -1e30


def _shift(alpha, by):
    """`alpha` moved `by` positions along the states, impossible values entering."""
    batch = ops.shape(alpha)[0]
    filler = ops.full((batch, by), _IMPOSSIBLE, dtype=ops.dtype(alpha))
    return ops.concatenate([filler, alpha[:, :-by]], axis=1)


def _logsumexp3(a, b, c):
    top = ops.maximum(ops.maximum(a, b), c)
    total = ops.add(ops.add(ops.exp(ops.subtract(a, top)), ops.exp(ops.subtract(b, top))),
                    ops.exp(ops.subtract(c, top)))
    return ops.add(top, ops.log(total))


def ctc_batch_cost(y_true, y_pred, input_length, label_length):
    """The CTC loss of each batch element (Keras 2's ``K.ctc_batch_cost``).

    Args:
        y_true: (samples, max_string_length) labels in ``[0, num_categories - 1)``;
            entries past an element's `label_length` are ignored (any padding).
        y_pred: (samples, time_steps, num_categories) softmax probabilities;
            the last category is the blank.
        input_length: (samples, 1) number of time steps of each element.
        label_length: (samples, 1) label length of each element.

    Returns:
        (samples, 1) tensor of negative log-likelihoods. As Keras 2, the
        probabilities enter as ``log_softmax(log(y_pred + epsilon))``.
    """
    args = (y_true, y_pred, input_length, label_length)
    if has_symbolic(args):
        # The shape is known: a graph node without the two trial runs that
        # inferring it would cost.
        batch = y_pred.shape[0] if isinstance(y_pred, KerasTensor) else ops.shape(y_pred)[0]
        dtype = y_pred.dtype if isinstance(y_pred, KerasTensor) else floatx()
        output = KerasTensor((batch, 1), dtype)
        Node(OpCall(_ctc_batch_cost, "ctc_batch_cost"), args, {}, output)
        return output
    return _ctc_batch_cost(*args)


def _ctc_batch_cost(y_true, y_pred, input_length, label_length):
    y_pred = ops.convert_to_tensor(y_pred)
    batch, time_steps, classes = ops.shape(y_pred)
    blank = classes - 1
    log_prob = ops.log_softmax(ops.log(ops.add(y_pred, epsilon())), axis=-1)
    dtype = ops.dtype(log_prob)
    labels = ops.cast(y_true, "int32")
    max_label = ops.shape(labels)[1]
    input_length = ops.cast(ops.reshape(input_length, (-1,)), "int32")
    label_length = ops.cast(ops.reshape(label_length, (-1,)), "int32")

    # Extended labels (batch, 2L + 1); positions past the label read the blank.
    in_label = ops.less(ops.expand_dims(ops.arange(0, max_label, 1, dtype="int32"), 0),
                        ops.expand_dims(label_length, 1))
    labels = ops.where(in_label, labels, blank)
    blanks = ops.full((batch, max_label), blank, dtype="int32")
    extended = ops.reshape(ops.stack([blanks, labels], axis=2), (batch, 2 * max_label))
    extended = ops.concatenate([extended, ops.full((batch, 1), blank, dtype="int32")], axis=1)
    states = 2 * max_label + 1
    two_back = ops.concatenate(
        [ops.full((batch, 2), blank, dtype="int32"), extended[:, :-2]], axis=1)
    can_skip = ops.logical_and(ops.not_equal(extended, blank), ops.not_equal(extended, two_back))

    # Emission log-probabilities, time-major: (time, batch, states).
    index = ops.broadcast_to(ops.expand_dims(extended, 1), (batch, time_steps, states))
    emissions = ops.transpose(ops.take_along_axis(log_prob, index, axis=2), (1, 0, 2))
    running = ops.less(ops.expand_dims(ops.arange(0, time_steps, 1, dtype="int32"), 1),
                       ops.expand_dims(input_length, 0))  # (time, batch)
    # A virtual start with all mass on the first blank: step 0 of the
    # recursion then gives alpha_0 of the two allowed first states.
    start = ops.concatenate([ops.zeros((batch, 1), dtype=dtype),
                             ops.full((batch, states - 1), _IMPOSSIBLE, dtype=dtype)], axis=1)
    impossible = ops.full((batch, states), _IMPOSSIBLE, dtype=dtype)

    def step(carry, x):
        alpha = carry[0]
        emission, active = x
        skipped = ops.where(can_skip, _shift(alpha, 2), impossible)
        new = ops.add(_logsumexp3(alpha, _shift(alpha, 1), skipped), emission)
        return [ops.where(ops.expand_dims(active, 1), new, alpha)], None

    (alpha,), _ = ops.scan(step, [start], [emissions, running])
    last = ops.expand_dims(2 * label_length, 1)
    final_blank = ops.take_along_axis(alpha, last, axis=1)
    final_label = ops.take_along_axis(alpha, ops.maximum(last - 1, 0), axis=1)
    final_label = ops.where(ops.expand_dims(label_length, 1) > 0, final_label, _IMPOSSIBLE)
    top = ops.maximum(final_blank, final_label)
    log_likelihood = ops.add(top, ops.log(ops.add(ops.exp(ops.subtract(final_blank, top)),
                                                  ops.exp(ops.subtract(final_label, top)))))
    return ops.negative(log_likelihood)


def ctc_decode(y_pred, input_length, greedy=True, beam_width=100, top_paths=1):
    """Best-path (greedy) CTC decoding (Keras 2's ``K.ctc_decode`` with ``greedy=True``).

    At each step the most probable class is taken; repeats are merged and
    blanks (the last class) dropped.

    Args:
        y_pred: (samples, time_steps, num_categories) softmax probabilities.
        input_length: (samples,) number of time steps of each element.

    Returns:
        ``([decoded], log_probability)``: `decoded` is (samples, longest
        decoded length) int tensor padded with -1; `log_probability` is
        (samples, 1), minus the sum over time of the log of the best
        class's probability, as TensorFlow's greedy decoder reports.

    Raises:
        NotImplementedError: ``greedy=False`` (beam search).
    """
    if not greedy:
        raise NotImplementedError(
            "K.ctc_decode(greedy=False): beam-search decoding is not implemented in kfacade; "
            "use greedy=True (best path)."
        )
    y_pred = ops.convert_to_tensor(y_pred)
    batch, time_steps, classes = ops.shape(y_pred)
    blank = classes - 1
    log_prob = ops.log(ops.add(y_pred, epsilon()))
    best = ops.cast(ops.argmax(log_prob, axis=-1), "int32")  # (batch, time)
    running = ops.less(ops.expand_dims(ops.arange(0, time_steps, 1, dtype="int32"), 0),
                       ops.expand_dims(ops.cast(ops.reshape(input_length, (-1,)), "int32"), 1))
    best_score = ops.where(running, ops.max(log_prob, axis=-1), 0.0)
    log_probability = ops.negative(ops.sum(best_score, axis=1, keepdims=True))
    previous = ops.concatenate([ops.full((batch, 1), -1, dtype="int32"), best[:, :-1]], axis=1)
    keep = ops.logical_and(ops.logical_and(ops.not_equal(best, blank),
                                           ops.not_equal(best, previous)), running)
    # Kept symbols first, in time order: sort on (dropped, time).
    positions = ops.arange(0, time_steps, 1, dtype="int32")
    order = ops.argsort(ops.where(keep, positions, positions + time_steps), axis=1)
    symbols = ops.take_along_axis(best, order, axis=1)
    counts = ops.sum(ops.cast(keep, "int32"), axis=1)
    width = int(np.max(ops.convert_to_numpy(counts))) if batch else 0
    symbols = symbols[:, :width]
    filled = ops.less(ops.expand_dims(positions[:width], 0), ops.expand_dims(counts, 1))
    decoded = ops.where(filled, symbols, -1)
    return [decoded], log_probability
