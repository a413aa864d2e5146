"""Keras 2's ``K.ctc_batch_cost`` and ``K.ctc_decode``: thin wrappers over
``kfacade.ops.ctc_loss`` / ``ctc_decode`` (``kfacade/ops/ctc.py``, the one
implementation), with Keras 2's conventions: softmax probabilities in (they
enter as logits ``log(y_pred + epsilon)``), the blank is the last class,
lengths as ``(samples, 1)``, the loss as ``(samples, 1)`` and the decoded
labels as wide as the longest decoded sequence.
"""
import numpy as np

from kfacade import ops
from kfacade.backend.config import epsilon, floatx
from kfacade.engine.keras_tensor import KerasTensor
from kfacade.engine.operation import Node, OpCall, has_symbolic


def _logits(y_pred):
    """Probabilities as the logits the Keras 3 ops take, and the blank (last) class."""
    y_pred = ops.convert_to_tensor(y_pred)
    return ops.log(ops.add(y_pred, epsilon())), ops.shape(y_pred)[-1] - 1


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
    logits, blank = _logits(y_pred)
    loss = ops.ctc_loss(y_true, logits, ops.reshape(label_length, (-1,)),
                        ops.reshape(input_length, (-1,)), mask_index=blank)
    return ops.expand_dims(loss, 1)


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
    logits, blank = _logits(y_pred)
    decoded, log_probability = ops.ctc_decode(logits, input_length, mask_index=blank)
    decoded = decoded[0]
    # Keras 2 densifies TensorFlow's sparse result: as wide as the longest one.
    counts = ops.convert_to_numpy(ops.sum(ops.cast(ops.greater_equal(decoded, 0), "int32"), axis=1))
    width = int(np.max(counts)) if counts.size else 0
    return [decoded[:, :width]], log_probability
