"""The optional ``fused_sparse_categorical_crossentropy`` hook
(``kfacade.backend.contract.OPTIONAL_HOOKS``) on TensorFlow's
``SparseSoftmaxCrossEntropyWithLogits`` kernel.

kfacade's generic sparse cross-entropy is a ``log_softmax`` and a
``take_along_axis`` gather: in a traced step about twenty graph nodes
(index ranges, packs, concats, reshapes, the gather, and an
``UnsortedSegmentSum`` for its gradient). The fused kernel computes the
losses and their gradient (``softmax - one_hot``) in one node, as Keras's
and the native TF loop's losses do. The tiny benchmark step (Dense 8-8-2,
batch 16, one thread) measured 204 -> 195 us against native's 176-179.

The kernel rounds in its own order (``log(sum(exp(x - max))) - (x[label] -
max)``): losses and gradients differ from the generic path's in the last
bits (the contract's bound: relative 1e-6; ``tests/test_fused_losses.py``).
Labels are read as the generic ``take_along_axis`` reads its indices on
TensorFlow: a negative label counts once from the end, and one still
outside ``[0, classes)`` is an error (the kernel's ``InvalidArgumentError``
naming the label and the range, where the gather names the index); float
labels are truncated through int32, as the generic cast. Declined (``NotImplementedError``;
kfacade then runs its generic ops and their errors): probabilities
(``from_logits=False``, whose clipping and log the generic ops compute),
outputs that are not float32 / float64, an axis other than the last, labels
whose static shape is not the outputs' without the class axis, and boolean
or complex labels.
"""
import tensorflow as tf

__all__ = ["fused_sparse_categorical_crossentropy"]

_DTYPES = (tf.float32, tf.float64)
_SMALL_INTEGERS = (tf.int8, tf.int16, tf.uint8, tf.uint16)


def fused_sparse_categorical_crossentropy(target, output, from_logits, axis):
    if not from_logits:
        raise NotImplementedError("the fused kernel takes logits")
    if not isinstance(output, tf.Tensor) or not isinstance(target, tf.Tensor) \
            or output.dtype not in _DTYPES:
        raise NotImplementedError("the fused cross-entropy takes float32 / float64 tensors")
    rank = output.shape.rank
    if type(axis) is not int or not rank or axis not in (-1, rank - 1):
        raise NotImplementedError("the fused cross-entropy takes the classes on the last axis")
    if not output.shape.is_fully_defined() or target.shape != output.shape[:-1]:
        raise NotImplementedError("the fused cross-entropy takes one label per row")
    classes = output.shape[-1]
    if classes == 0:
        raise NotImplementedError("no class to pick")
    if target.dtype.is_floating or target.dtype in _SMALL_INTEGERS:
        target = tf.cast(target, tf.int32)  # a float truncated as the generic cast
    elif target.dtype not in (tf.int32, tf.int64):
        raise NotImplementedError("the fused cross-entropy takes integer or float labels")
    # Negative labels count once from the end, as the generic gather's index;
    # a label still outside [0, classes) is the kernel's error, as the gather's.
    labels = tf.where(target < 0, target + tf.constant(classes, target.dtype), target)
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=output)
