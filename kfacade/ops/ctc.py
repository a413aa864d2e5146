"""``keras.ops.ctc_loss`` and ``keras.ops.ctc_decode``: connectionist temporal
classification (Graves et al., 2006), written once over the adapter's primitives.

The loss is the forward (alpha) recursion in log space, one ``scan`` over
time for the whole batch: the label ``l`` is extended with blanks to
``l' = (blank, l1, blank, l2, ..., blank)`` and

    alpha_t(s) = logsumexp(alpha_{t-1}(s), alpha_{t-1}(s-1),
                           alpha_{t-1}(s-2) if l'(s) != blank and l'(s) != l'(s-2))
                 + log y_t(l'(s))

with the loss ``-logsumexp(alpha_{T-1}(|l'|-1), alpha_{T-1}(|l'|-2))``.
Impossible paths hold a large negative number, not -inf, so that gradients
stay finite; an infeasible label (too long for its output) gets a huge
finite loss where TensorFlow reports inf.

Decoding is best path (greedy): the most probable class at each step,
repeats merged, blanks dropped. Keras 2's ``K.ctc_batch_cost`` and
``K.ctc_decode`` (``kfacade/legacy/ctc.py``) are thin wrappers over these.
"""
from kfacade.backend.active import adapter as _B
from kfacade.backend.dtypes import result_type as _result_type
from kfacade.engine.keras_tensor import KerasTensor as _KerasTensor
from kfacade.ops._composite import slice_axis as _slice_axis, tensor as _tensor
from kfacade.ops.dispatch import symbolic_or

__all__ = ["ctc_loss", "ctc_decode"]

#: The log-probability of an impossible path: finite, so gradients stay finite.
_IMPOSSIBLE = -1e30

_STRATEGIES = ("greedy", "beam_search")


def _float_dtype(dtype):
    """The dtype CTC computes in: at least float32, as TensorFlow's kernels."""
    return _result_type(dtype, "float32")


def _check_rank(name, shape, rank, layout):
    if len(shape) != rank:
        raise ValueError(
            f"`{name}` must be a {rank}D tensor of shape {layout}. Received: {name}.shape={tuple(shape)}")


def _shift(alpha, by, impossible):
    """`alpha` moved `by` states to the right along axis 1, impossible values entering."""
    states = _B.shape(alpha)[1]
    if by >= states:
        return impossible
    kept = _slice_axis(alpha, 1, 0, states - by)
    return _B.concatenate([_slice_axis(impossible, 1, 0, by), kept], axis=1)


def _logaddexp(a, b):
    top = _B.maximum(a, b)
    return _B.add(top, _B.log(_B.add(_B.exp(_B.subtract(a, top)), _B.exp(_B.subtract(b, top)))))


def _logsumexp3(a, b, c):
    top = _B.maximum(_B.maximum(a, b), c)
    total = _B.add(_B.add(_B.exp(_B.subtract(a, top)), _B.exp(_B.subtract(b, top))),
                   _B.exp(_B.subtract(c, top)))
    return _B.add(top, _B.log(total))


def _log_likelihood(labels, log_prob, label_length, input_length, blank):
    """log p(label | log_prob) of each batch element, shape (batch,).

    `labels` (batch, L) int32, entries past `label_length` ignored;
    `log_prob` (batch, T, classes) log-probabilities; the lengths (batch,) int32.
    """
    batch, time_steps, _ = _B.shape(log_prob)
    max_label = _B.shape(labels)[1]
    dtype = _B.dtype(log_prob)

    # Extended labels (batch, 2L + 1); positions past the label read the blank.
    label_positions = _B.expand_dims(_B.arange(0, max_label, 1, dtype="int32"), 0)
    in_label = _B.less(label_positions, _B.expand_dims(label_length, 1))
    blanks = _B.full((batch, max_label), blank, dtype="int32")
    labels = _B.where(in_label, labels, blanks)
    extended = _B.reshape(_B.stack([blanks, labels], axis=2), (batch, 2 * max_label))
    extended = _B.concatenate([extended, _B.full((batch, 1), blank, dtype="int32")], axis=1)
    states = 2 * max_label + 1
    two_back = _shift(extended, 2, _B.full((batch, states), blank, dtype="int32"))
    can_skip = _B.logical_and(_B.not_equal(extended, blank), _B.not_equal(extended, two_back))

    # Emission log-probabilities, time-major: (time, batch, states).
    index = _B.broadcast_to(_B.expand_dims(extended, 1), (batch, time_steps, states))
    emissions = _B.transpose(_B.take_along_axis(log_prob, index, axis=2), (1, 0, 2))
    running = _B.less(_B.expand_dims(_B.arange(0, time_steps, 1, dtype="int32"), 1),
                      _B.expand_dims(input_length, 0))  # (time, batch)
    impossible = _B.full((batch, states), _IMPOSSIBLE, dtype=dtype)
    # A virtual start with all mass on the first blank: step 0 of the
    # recursion then gives alpha_0 of the two allowed first states.
    first = _B.less(_B.arange(0, states, 1, dtype="int32"), 1)
    start = _B.where(_B.expand_dims(first, 0), _B.zeros((batch, states), dtype=dtype), impossible)

    def step(carry, x):
        alpha = carry[0]
        emission, active = x
        skipped = _B.where(can_skip, _shift(alpha, 2, impossible), impossible)
        new = _B.add(_logsumexp3(alpha, _shift(alpha, 1, impossible), skipped), emission)
        return [_B.where(_B.expand_dims(active, 1), new, alpha)], None

    (alpha,), _ = _B.scan(step, [start], [emissions, running])
    last = _B.expand_dims(_B.multiply(label_length, 2), 1)
    final_blank = _B.take_along_axis(alpha, last, axis=1)
    final_label = _B.take_along_axis(alpha, _B.maximum(_B.subtract(last, 1), 0), axis=1)
    final_label = _B.where(_B.greater(last, 0), final_label,
                           _B.full(_B.shape(final_label), _IMPOSSIBLE, dtype=dtype))
    return _B.reshape(_logaddexp(final_blank, final_label), (batch,))


@symbolic_or
def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """CTC (Connectionist Temporal Classification) loss of each batch element.

    Args:
        target: (batch_size, max_length) integer labels; entries past an
            element's `target_length` are ignored.
        output: (batch_size, max_length, num_classes) logits (the output of
            the model, not softmax-normalised: log_softmax is applied here).
        target_length: (batch_size,) label length of each element.
        output_length: (batch_size,) number of valid time steps of each element.
        mask_index: the blank (mask) class. Defaults to 0.

    Returns:
        (batch_size,) negative log-likelihoods, in `output`'s float dtype
        (at least float32).

    Example:
        >>> ops.ctc_loss([[1, 2]], logits, [2], [logits.shape[1]])  # logits: (1, T, 3)
    """
    output = _tensor(output)
    target = _tensor(target)
    _check_rank("output", _B.shape(output), 3, "(batch_size, max_length, num_classes)")
    _check_rank("target", _B.shape(target), 2, "(batch_size, max_length)")
    output = _B.cast(output, _float_dtype(_B.dtype(output)))
    log_prob = _B.log_softmax(output, axis=-1)
    max_label = _B.shape(target)[1]
    target_length = _B.clip(_B.reshape(_B.cast(_tensor(target_length), "int32"), (-1,)), 0, max_label)
    output_length = _B.reshape(_B.cast(_tensor(output_length), "int32"), (-1,))
    return _B.negative(_log_likelihood(_B.cast(target, "int32"), log_prob, target_length,
                                       output_length, int(mask_index)))


def _ctc_loss_output_spec(target, output, target_length, output_length, mask_index=0):
    """ctc_loss's symbolic shape rule: (batch_size,) without a trial run of the scan."""
    _check_rank("output", output.shape, 3, "(batch_size, max_length, num_classes)")
    return _KerasTensor((output.shape[0],), dtype=_float_dtype(output.dtype))


ctc_loss.output_spec = _ctc_loss_output_spec


def _check_strategy(strategy):
    if strategy == "beam_search":
        raise NotImplementedError(
            "ctc_decode(strategy='beam_search') is not implemented in kfacade; use "
            "strategy='greedy' (best path decoding).")
    if strategy not in _STRATEGIES:
        raise ValueError(
            f"Invalid strategy {strategy}. Supported values are 'greedy' and 'beam_search'.")


@symbolic_or
def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1,
               merge_repeated=True, mask_index=0):
    """Decodes the output of a CTC model.

    Greedy (best path) decoding: the most probable class at each step within
    the element's length; with `merge_repeated`, a class equal to the one of
    the step before is dropped (``a a b`` -> ``a b``, ``a blank a`` -> ``a a``);
    then the blanks (`mask_index`) are dropped.

    Args:
        inputs: (batch_size, max_length, num_classes) logits.
        sequence_lengths: (batch_size,) valid time steps of each element.
        strategy: "greedy"; "beam_search" raises NotImplementedError.
        beam_width, top_paths: beam search's; unused by "greedy".
        merge_repeated: whether to merge repeated classes. Defaults to True.
        mask_index: the blank class. Defaults to 0.

    Returns:
        ``(decoded, log_probability)``: `decoded` (1, batch_size, max_length)
        int32, each element's classes first, padded with -1;
        `log_probability` (batch_size, 1), minus the sum of the chosen
        logits over the valid steps.

    Example:
        >>> decoded, scores = ops.ctc_decode(logits, [logits.shape[1]])
    """
    _check_strategy(strategy)
    inputs = _tensor(inputs)
    _check_rank("inputs", _B.shape(inputs), 3, "(batch_size, max_length, num_classes)")
    inputs = _B.cast(inputs, _float_dtype(_B.dtype(inputs)))
    batch, time_steps, _ = _B.shape(inputs)
    blank = int(mask_index)
    lengths = _B.reshape(_B.cast(_tensor(sequence_lengths), "int32"), (-1,))
    positions = _B.arange(0, time_steps, 1, dtype="int32")
    running = _B.less(_B.expand_dims(positions, 0), _B.expand_dims(lengths, 1))
    blanks = _B.full((batch, time_steps), blank, dtype="int32")
    best = _B.where(running, _B.cast(_B.argmax(inputs, axis=-1), "int32"), blanks)
    scores = _B.where(running, _B.max(inputs, axis=-1), _B.zeros((), dtype=_B.dtype(inputs)))
    if merge_repeated:
        previous = _B.concatenate(
            [_B.full((batch, 1), -1, dtype="int32"), _slice_axis(best, 1, 0, time_steps - 1)], axis=1)
        best = _B.where(_B.equal(best, previous), blanks, best)
    keep = _B.not_equal(best, blank)
    # Kept classes first, in time order: sort on (dropped, time).
    order = _B.argsort(_B.where(keep, _B.broadcast_to(positions, (batch, time_steps)),
                                _B.add(positions, time_steps)), axis=1)
    decoded = _B.take_along_axis(_B.where(keep, best, _B.full((batch, time_steps), -1, dtype="int32")),
                                 order, axis=1)
    log_probability = _B.negative(_B.sum(scores, axis=1, keepdims=True))
    return _B.expand_dims(decoded, 0), log_probability


def _ctc_decode_output_spec(inputs, sequence_lengths, strategy="greedy", beam_width=100,
                            top_paths=1, merge_repeated=True, mask_index=0):
    """ctc_decode's symbolic shape rule: ((1, batch, max_length), (batch, 1))."""
    _check_strategy(strategy)
    _check_rank("inputs", inputs.shape, 3, "(batch_size, max_length, num_classes)")
    batch, time_steps, _ = inputs.shape
    return (_KerasTensor((1, batch, time_steps), dtype="int32"),
            _KerasTensor((batch, 1), dtype=_float_dtype(inputs.dtype)))


ctc_decode.output_spec = _ctc_decode_output_spec
