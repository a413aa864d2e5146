"""The optional ``fused_batch_normalization`` hook on TensorFlow's
``FusedBatchNormV3`` kernel (``kfacade.backend.contract.OPTIONAL_HOOKS``).

kfacade's generic BatchNormalization is several ops (``moments``, then a
multiply-add), each a pass over the input forward and backward; the fused
kernel computes the statistics and the normalization in one pass each way.
On a ResNet-style stack (32x32x16, batch 32, one CPU thread) the training
step measured 32.7 -> 24 ms.

The kernel normalizes the features of the last axis of a 4-D tensor: other
layouts are viewed as one (``(1, positions, 1, features)``, after moving a
feature axis that is not last to the end). In training it returns the
batch mean and the *unbiased* variance; Keras moves its moving variance
towards the biased one, ``unbiased * (n - 1) / n`` here (one float rounding
more than the generic path's ``sum / n``), and the moving statistics are
moved as the generic path does, outside the gradient. The raw op is called
directly: ``tf.nn.fused_batch_norm`` raises epsilon to cuDNN's 1.001e-5 floor,
which on the CPU kernel would change Keras's ``epsilon``.

Half inputs (a mixed policy's layer) with float32 parameters are normalized
in float32 by the kernel itself, which writes half outputs.

Declined (``NotImplementedError``, kfacade then runs its generic ops):
several feature axes, other dtypes, one value per feature in training
(the unbiased variance is undefined; the generic path gives ``beta``), and
an epsilon below cuDNN's floor when a GPU would run the kernel.
"""
import tensorflow as tf

__all__ = ["fused_batch_normalization"]

_CUDNN_MIN_EPSILON = 1.001e-5


def fused_batch_normalization(inputs, axis, gamma, beta, moving_mean, moving_variance, momentum,
                              epsilon, training):
    # The kernel's T (the inputs): float32, or half with float32 parameters (its U).
    if inputs.dtype not in (tf.float32, tf.float16, tf.bfloat16):
        raise NotImplementedError("TensorFlow's fused batch norm takes float32 or half inputs")
    for tensor in (gamma, beta, moving_mean, moving_variance):
        if tensor is not None and tensor.dtype != tf.float32:
            raise NotImplementedError("TensorFlow's fused batch norm takes float32 parameters")
    ndim = inputs.shape.rank
    if len(axis) != 1 or ndim is None or ndim < 2:
        raise NotImplementedError("the fused kernel normalizes one feature axis")
    if epsilon < _CUDNN_MIN_EPSILON and tf.config.list_logical_devices("GPU"):
        raise NotImplementedError("cuDNN's batch norm needs epsilon >= 1.001e-5")
    channel_axis = axis[0] % ndim
    x = inputs if channel_axis == ndim - 1 else tf.experimental.numpy.moveaxis(
        inputs, channel_axis, -1)
    features = x.shape[-1]
    count = x.shape.num_elements() // features if x.shape.is_fully_defined() else None
    if features is None or (training and count == 1):
        raise NotImplementedError("the fused kernel needs known features and several values each")
    moved_shape = tf.shape(x)
    if ndim != 4:
        x = tf.reshape(x, [1, -1, 1, features])
    scale = tf.ones([features]) if gamma is None else gamma
    offset = tf.zeros([features]) if beta is None else beta
    if training:
        empty = tf.zeros([0])
        outputs, mean, unbiased_variance = tf.raw_ops.FusedBatchNormV3(
            x=x, scale=scale, offset=offset, mean=empty, variance=empty, epsilon=epsilon,
            data_format="NHWC", is_training=True)[:3]
        n = tf.cast(tf.size(x) // features, tf.float32)
        variance = tf.stop_gradient(unbiased_variance) * ((n - 1.0) / n)  # Keras's: biased
        new_mean = moving_mean * momentum + tf.stop_gradient(mean) * (1.0 - momentum)
        new_variance = moving_variance * momentum + variance * (1.0 - momentum)
    else:
        outputs = tf.raw_ops.FusedBatchNormV3(
            x=x, scale=scale, offset=offset, mean=moving_mean, variance=moving_variance,
            epsilon=epsilon, data_format="NHWC", is_training=False)[0]
        new_mean = new_variance = None
    if ndim != 4:
        outputs = tf.reshape(outputs, moved_shape)
    if channel_axis != ndim - 1:
        outputs = tf.experimental.numpy.moveaxis(outputs, -1, channel_axis)
    return outputs, new_mean, new_variance
