"""The backend adapter contract: every function an adapter must provide.

An adapter is a module (found through the ``kfacade.backends`` entry-point
group) that defines each public function below with the same parameter
names. ``kfacade`` calls nothing else of an adapter, and never imports a
framework itself. ``tests/test_contract.py`` fails if an adapter lacks one.

Conventions every adapter follows:

- Tensors are the framework's own (``tf.Tensor``, ``torch.Tensor``,
  ``jax.Array``): no wrapper class. Every tensor argument may also be a
  NumPy array, a Python scalar, or a ``kfacade.Variable``: recognise it with
  ``isinstance(x, kfacade.backend.state.VariableBase)`` and read its
  ``.value``; convert with the adapter's own ``convert_to_tensor``.
- Imports: an adapter imports nothing of kfacade but the floor-0 modules
  of ``kfacade/backend/``: this contract, ``config``, ``dtypes`` and
  ``state`` (``VariableBase``, ``StatelessScope``, ``UpdateRule``,
  ``compiled_step_trace``). Everything else it needs is passed to it.
- Dtypes are named by strings: ``"float32"``, ``"float64"``, ``"int32"``,
  ``"int64"``, ``"bool"``, ``"uint8"``, ... ; ``None`` means "keep or infer".
- ``axis`` is ``None``, an int, or a tuple of ints; negatives count from the end.
- Shapes are tuples of ints (eager tensors always have a full static shape).
- Semantics are NumPy's (broadcasting), the reference the conformance tests
  compare against; nn ops follow ``keras.ops``. Result dtypes follow the one
  table in ``kfacade/backend/dtypes.py`` (Keras 3's rules): ``result_type``
  for binary ops (Python scalars weak), ``reduction_result_type`` for sums,
  means, argmax, ...; a framework without 64-bit types (JAX without x64)
  narrows a 64-bit result as ``narrow_to_32_bits`` says.
  ``tests/test_shared_rules.py`` holds every adapter to it.
- ``data_format`` is ``"channels_last"`` or ``"channels_first"``;
  ``padding`` is ``"valid"`` or ``"same"``; window arguments, padding
  amounts and output lengths follow ``kfacade/backend/conv_geometry.py``;
  device names are parsed by ``kfacade/backend/device_names.py``.
- Seeds: kfacade draws every seed (``kfacade.random.draw_seed``) and
  passes the drawn value as ``seed`` to ``random_uniform``,
  ``random_normal``, ``random_gamma``, ``random_binomial`` and
  ``dropout``; an adapter never sees a ``SeedGenerator`` or None, and
  raises ValueError for anything but: a ``(2,)`` uint32 native tensor
  ``[counter, seed]`` (a value of a
  ``SeedGenerator``'s state variable: traced inside a compiled step, so the
  noise changes every step and restoring the variable rewinds the stream),
  or a Python int ``s`` (a constant seed: the same stream as ``[0, s]``,
  the same numbers on every call). The numbers must be a function of the
  seed alone (torch seeds a ``torch.Generator`` from it per call).
- Unseeded random ops in compiled steps: ``seed=None`` inside a step
  traced into a graph (``jax.jit``, ``tf.function``) raises ValueError
  saying to pass a ``SeedGenerator``, since a seed drawn in Python while
  tracing would repeat at every step. An adapter whose ``compile_function``
  traces the step enters ``kfacade.backend.state.compiled_step_trace()``
  around the traced call, which is how kfacade knows. Steps that run the
  Python code on every call (torch) draw a fresh seed per step.
- Per-thread state: the active ``StatelessScope``, the trace marker and the
  training flag of the enclosing layer call belong to the calling thread
  (PyDataset workers are threads).

The functions are grouped into families, one adapter file each, named in
``FAMILIES`` (built below from this module's order): ``variables.py``
(tensors and variables), ``numpy.py`` (creation, elementwise, reductions,
shape and index, products), ``nn.py`` (activations, conv and pool, moments,
dropout), ``core.py`` (``stop_gradient``, ``scan``, scatters and segment
reductions, ``cond``/``while_loop``, ``vectorized_map``,
``custom_gradient``), ``linalg.py`` (factorizations and solves), ``fft.py``
(Fourier transforms of ``(real, imag)`` pairs), ``random.py``,
``device.py`` and ``step.py`` (autodiff and compiled steps). Every adapter
uses the same file names, so adapters compare side by side; each family file
sets ``__all__ = list(FAMILIES["<family>"])`` and the adapter's
``__init__`` star-imports them. Private helpers shared by several family
files live in the adapter's ``_helpers.py``.

Optional hooks: an adapter may also define the functions named in
``OPTIONAL_HOOKS`` (documented there) to replace a generic path of kfacade by
a faster native one. kfacade looks each one up with ``getattr(adapter, name,
None)`` and falls back to its generic path when it is missing or declines.
They are not functions of this module, so ``tests/test_contract.py`` does not
require them.
"""
import inspect

# ---------------------------------------------------------------- identity

#: The adapter's name as used in KERAS_BACKEND, e.g. "torch".
NAME_ATTRIBUTE = "name"
#: The pip requirement that installs the framework, e.g. "torch>=2.1".
REQUIREMENT_ATTRIBUTE = "requirement"

# ------------------------------------------------------- optional hooks

#: Functions an adapter may define (none is required), by name: their
#: signature and the exact semantics an implementation must keep.
OPTIONAL_HOOKS = {
    "eval_shape": """
    eval_shape(fn, specs) -> [(shape, dtype) or None, ...]

    Runs ``fn(tensors)`` on abstract stand-ins for the tensors `specs`
    describes (a list of ``(shape, dtype name)``, full static shapes), with
    no computation, and returns the shape (tuple of ints) and dtype name of
    each of the flat list of outputs `fn` returns (None stays None). JAX:
    ``jax.eval_shape``. kfacade's symbolic calls (``compute_output_spec``)
    use it instead of running on zero tensors, where an eager op costs a
    compilation per new shape. `fn` runs under ``state.abstract_run()``
    (kfacade refuses a new Variable or ``add_loss`` inside it) and its
    outputs must not be kept. Any exception (a refusal, a read of a
    value, a dtype the framework lacks) makes kfacade run on zero tensors
    instead, so an adapter raises for what it cannot trace.
    """,
    "fused_optimizer_update": """
    fused_optimizer_update(rule, grads, variables) -> bool

    Applies one optimizer update step to all `variables` at once (e.g. torch's
    ``torch._foreach_*`` kernels) instead of kfacade's per-variable loop over
    ``kfacade.ops``. Called by ``Optimizer._backend_update_step`` on every
    ``apply``, only outside a ``StatelessScope`` (a JAX step stays pure), and
    only for an optimizer whose update is one of the rules below
    (``Optimizer.fused_update_rule``; subclasses that change the math have
    none).

    Args: `rule` is a ``kfacade.backend.state.UpdateRule``: ``name``,
    ``coefficients`` (this step's numbers), ``options`` (bools) and
    ``slots`` (``{name: [Variable]}``, aligned with `variables`); `grads`
    are native tensors, one per variable, already cast to the variable's
    dtype, unscaled (``loss_scale_factor``) and clipped; `variables` are the
    ``kfacade.Variable``s to update (in any order), whose decoupled weight
    decay (AdamW) and Keras 2 ``decay`` kfacade has already applied.

    The rules, per variable ``x`` with gradient ``g``, in kfacade's order of
    operations (``x ** 2`` is ``x * x``):

    - "sgd" (coefficients ``learning_rate``, ``momentum``; option
      ``nesterov``; slot ``momentums`` when momentum != 0):
      ``step = g * learning_rate``; without momentum ``x = x - step``; else
      ``m = m * momentum - step``, then ``x = x + m``, or with nesterov
      ``x = x + (m * momentum - step)``.
    - "rmsprop" (``learning_rate``, ``rho``, ``momentum``, ``epsilon``;
      option ``centered``; slots ``velocities``, ``momentums`` when
      momentum > 0, ``average_gradients`` when centered):
      ``v = v * rho + g ** 2 * (1 - rho)``; centered:
      ``a = a * rho + g * (1 - rho)``, ``d = v - a ** 2 + epsilon``, else
      ``d = v + epsilon``; ``inc = g * learning_rate / sqrt(d)``; with
      momentum ``m = m * momentum + inc``, ``x = x - m``; else ``x = x - inc``.
    - "adam" (``alpha`` = learning_rate * sqrt(1 - beta_2 ** t) /
      (1 - beta_1 ** t), ``beta_1``, ``beta_2``, ``epsilon``; option
      ``amsgrad``; slots ``momentums``, ``velocities``, ``velocity_hats``
      with amsgrad): ``m = m + (g - m) * (1 - beta_1)``,
      ``v = v + (g ** 2 - v) * (1 - beta_2)``; amsgrad:
      ``v_hat = max(v_hat, v)`` and ``v_hat`` replaces ``v`` below;
      ``x = x - m * alpha / (sqrt(v) + epsilon)``.

    The step size (``learning_rate``, ``alpha``) is a native scalar tensor
    or a Python number; the other coefficients are the hyperparameters as
    given (normally Python numbers).

    Returns True when the hook applied the whole update step itself, False
    (having changed nothing) to let kfacade run its generic path; it must
    return False for any rule, coefficient type, dtype or device layout it
    does not reproduce exactly. When it returns True it must have:

    - computed the rule's math above with the same elementwise operations in
      the same order, or with a neighbouring multiply and add fused into one
      kernel (torch's ``addcmul``), so results equal the generic path's to
      float32 rounding (relative 1e-6);
    - written every slot variable (momentums, velocities, ...) and every
      variable in place, through ``variable.handle`` (the native storage
      keeps its identity; no autograd history is recorded);
    - left ``optimizer.iterations`` alone: the base class increments it
      after the hook, then applies each variable's ``constraint``;
    - left `grads` unchanged.
    """,
    "lstm": """
    lstm(inputs, initial_state_h, initial_state_c, mask, kernel, recurrent_kernel,
         bias, activation, recurrent_activation, return_sequences=False,
         go_backwards=False, unroll=False) -> (last_output, outputs, [h, c])

    A whole Keras ``LSTM`` layer in the framework's fused kernel (torch:
    ``torch.lstm``), tried by ``kfacade.layers.LSTM`` before its generic
    ``scan`` over the cell.

    Args: `inputs` ``(batch, timesteps, features)``, batch-major; `mask`
    ``(batch, timesteps)`` booleans or None; Keras-layout weights, gates in
    the order i, f, c, o: ``kernel (features, 4u)``, ``recurrent_kernel (u,
    4u)``, ``bias (4u,)`` or None; `activation` and `recurrent_activation`
    are the names of kfacade's built-in activations (``"tanh"``,
    ``"sigmoid"``, ...) or None for any other callable; `unroll` changes no
    result. Input dropout is already applied to `inputs`; the hook is not
    tried with recurrent dropout in training.

    Returns ``outputs (batch, timesteps, u)`` in processing order (reversed
    with `go_backwards`), with ``RNN``'s masked-step rule (a masked step keeps
    the states and repeats the previous output), the last output, and the
    final states. Raises ``NotImplementedError`` for any case it does not
    compute exactly (other activations, a mask that is not right-padded, ...):
    the layer then runs the generic scan. In a half dtype (a mixed policy's
    layer) "exactly" is to the half dtype's rounding: the kernel may sum in
    float32 where the scan rounds after each op.
    """,
    "gru": """
    gru(inputs, initial_state, mask, kernel, recurrent_kernel, bias, activation,
        recurrent_activation, return_sequences=False, go_backwards=False,
        unroll=False, reset_after=True) -> (last_output, outputs, [h])

    A whole Keras ``GRU`` layer in the framework's fused kernel (torch:
    ``torch.gru``), as ``lstm`` above, with Keras's gate order z, r, h:
    ``kernel (features, 3u)``, ``recurrent_kernel (u, 3u)``, ``bias`` of
    shape ``(2, 3u)`` when `reset_after` (input and recurrent biases), else
    ``(3u,)``, or None. `reset_after` is Keras's choice of where the reset
    gate applies; raise ``NotImplementedError`` for the formula the kernel
    does not compute.
    """,
    "fused_batch_normalization": """
    fused_batch_normalization(inputs, axis, gamma, beta, moving_mean, moving_variance,
                              momentum, epsilon, training) -> (outputs, new_moving_mean,
                                                               new_moving_variance)

    ``kfacade.layers.BatchNormalization`` in the framework's fused kernel
    (torch: ``F.batch_norm``; TensorFlow: ``FusedBatchNormV3``), tried by the
    layer before its generic ops.

    Args: `inputs` a native tensor; `axis` the sorted list of feature axes
    (non-negative); `gamma`, `beta` (or None), `moving_mean`,
    `moving_variance` native tensors of the features' shape, of the inputs'
    dtype, or float32 with float16 / bfloat16 inputs (a mixed policy's layer,
    which computes in float32: normalize in float32 and return the outputs
    in the inputs' dtype, the statistics in float32; else raise
    NotImplementedError and the layer upcasts the inputs); `momentum`
    Keras's (the weight of the *old* moving value); `training` a bool (True
    only when the layer is trainable).

    Training: normalizes with the batch mean and the biased batch variance,
    ``(x - mean) / sqrt(variance + epsilon) * gamma + beta``, gradients flowing
    through the statistics, and returns the new moving statistics computed
    exactly as the generic path (``moments``, then ``moving * momentum +
    batch * (1 - momentum)`` with the *biased* variance), without gradient;
    the layer assigns them (so a stateless step records them). Inference:
    normalizes with the moving statistics and returns None for both.

    Results equal the generic path's to float32 rounding (the kernel orders
    the arithmetic its own way); raises ``NotImplementedError`` for any case
    it does not compute (several axes, mixed dtypes, ...).
    """,
    "fused_layer_normalization": """
    fused_layer_normalization(inputs, axis, gamma, beta, epsilon) -> outputs

    ``kfacade.layers.LayerNormalization`` (not ``rms_scaling``) in the
    framework's fused kernel (torch: ``F.layer_norm``): per sample over the
    sorted non-negative axes `axis`, ``(x - mean) / sqrt(variance + epsilon)
    * gamma + beta`` with the biased variance; `gamma`, `beta` native tensors
    of the normalized axes' shape or None. Raises ``NotImplementedError`` for
    a case it does not compute (torch: axes other than the last ones).
    """,
    "fused_dot_product_attention": """
    fused_dot_product_attention(query, key, value, attention_mask, scale) -> outputs

    The attention of ``kfacade.layers.MultiHeadAttention`` (one attention
    axis) in the framework's fused kernel (torch:
    ``F.scaled_dot_product_attention``; JAX: ``jax.nn.dot_product_attention``),
    or its fastest unfused form (TensorFlow: heads moved ahead once, then
    batched matmuls and softmax), tried only when the layer returns no
    attention scores and applies no dropout (inference, or rate 0).

    Args: `query` ``(batch, T, heads, key_dim)``, `key` ``(batch, S, heads,
    key_dim)``, `value` ``(batch, S, heads, value_dim)``, the projected
    tensors; `attention_mask` ``(batch, T, S)`` booleans (True = attend) or
    None; `scale` the Python float the scores are multiplied by.

    Returns ``(batch, T, heads, value_dim)``: ``softmax(scale * q . k)`` over
    the attended keys, combined with `value`; a query row with no attended key
    outputs zeros. Results equal the generic path's to float32 rounding;
    raises ``NotImplementedError`` for any case it does not compute.
    """,
    "fused_dense": """
    fused_dense(inputs, kernel, bias) -> outputs

    ``kfacade.layers.Dense``'s ``inputs @ kernel + bias`` in the framework's
    fused kernel (torch: ``addmm`` / ``F.linear``, ``nn.Linear``'s), tried by
    the layer before its generic ``matmul`` and ``add`` whenever it has a
    bias (the activation is applied after, by the layer). MultiHeadAttention's
    einsum projections try it too, on their inputs with the contracted axes
    flattened and their kernel and bias viewed as ``(input_dim, units)`` and
    ``(units,)``.

    Args: `inputs` a native tensor of rank >= 2 whose last axis is the
    kernel's first; `kernel` ``(input_dim, units)``; `bias` ``(units,)``:
    the values the layer reads (cast to the compute dtype under mixed
    precision).

    Returns ``inputs @ kernel + bias``, of shape ``inputs.shape[:-1] +
    (units,)``. Results and gradients equal the generic path's to float32
    rounding (the kernel adds the bias inside its own summation order); in
    a half dtype (a mixed policy's layer), to the half dtype's rounding (the
    kernel rounds once where the generic matmul and add round twice);
    raises ``NotImplementedError`` for any case it does not compute (other
    dtypes, mixed dtypes or devices), and the generic ops then run and raise
    the user-facing errors.
    """,
    "dense_kernel_layout": """
    dense_kernel_layout(handle) -> None

    Lays a Dense kernel's storage out, in place, the way the framework's
    dense kernel reads it fastest. ``kfacade.layers.Dense`` calls it on its
    new kernel's handle, and the optimizer on each slot made for such a
    kernel, so the elementwise updates read the two in one order. Shape,
    dtype, values, device and the handle's identity stay; only the memory
    order may change (torch: column-major, the order of ``nn.Linear``'s
    ``(out, in)`` weight, whose GEMM with few output units ran 2x faster
    than on a row-major ``(in, out)`` kernel). A handle the adapter does
    not lay out (a DTensor) is left as it is.
    """,
    "fused_conv": """
    fused_conv(inputs, kernel, bias, strides, padding, data_format, dilation_rate,
               groups) -> outputs

    A convolution layer's ``conv(inputs, kernel, ...) + bias`` (the ``conv``
    op's arguments, as the layer holds them, plus the bias) with the bias
    added by the framework's convolution kernel (torch: ``F.conv2d``'s
    `bias`), tried by ``BaseConv`` layers that keep its ``convolution_op``
    and have a bias; the activation is applied after, by the layer.

    Returns what ``conv`` returns plus `bias` broadcast along the channel
    axis. Results and gradients equal the generic path's to float32 rounding
    (the bias gradient is summed in the kernel's order), in a half dtype to
    its rounding (as ``fused_dense``); raises ``NotImplementedError`` for any
    case it does not compute, and ``conv``'s own errors for bad shapes.
    """,
    "fused_sparse_categorical_crossentropy": """
    fused_sparse_categorical_crossentropy(target, output, from_logits, axis) -> losses

    ``kfacade.ops.sparse_categorical_crossentropy`` in the framework's fused
    kernel (torch: ``F.nll_loss``), tried by the op before its generic
    ``log_softmax`` and ``take_along_axis``.

    Args: `target` and `output` native tensors, `target` already squeezed of
    a trailing axis of 1; `from_logits` a bool; `axis` the class axis as the
    caller gave it.

    Returns the per-entry losses, of `target`'s shape: ``-log_softmax(output)``
    (from logits) or ``-log(clip(output / sum(output), epsilon, 1 - epsilon))``
    (probabilities) at each label, each label read as the adapter's generic
    ``take_along_axis`` reads an index (negative labels count from the end;
    torch takes any label modulo the number of classes, TensorFlow refuses
    one still out of range) and a float label truncated to an integer.
    Results and gradients equal the generic path's within a relative 1e-6
    (a fused kernel's own order of operations; torch's is bit for bit);
    raises ``NotImplementedError`` for any case it does not compute (the
    generic ops then run and raise the user-facing errors).
    """,
    "fused_mean_binary_crossentropy": """
    fused_mean_binary_crossentropy(target, output) -> loss

    The mean over every entry of the binary cross-entropy of logits
    `output` against targets `target` (torch:
    ``F.binary_cross_entropy_with_logits(reduction="mean")``, one autograd
    node where the generic ``max(x, 0) - x * z + log1p(exp(-|x|))`` and
    ``mean`` take eight): the default reduction of
    ``BinaryCrossentropy(from_logits=True)`` (and of the
    ``"binary_crossentropy"`` function so called), with no sample weight and
    no mask, tried before the per-entry losses are reduced. The mean over
    ``axis`` then over the batch is the mean over every entry, so the axis
    does not enter; label smoothing has been applied to `target`.

    Args: `target` and `output` native float tensors of one shape.
    Returns a scalar native tensor. The loss equals the generic path's
    within a relative 1e-6, except where every entry's loss is below float32
    rounding of its logit (``|x| > 16`` on the right side): there torch's
    ``(1 - z) * x - log_sigmoid(x)`` cancels to 0 where the generic formula
    keeps ``exp(-|x|)``, an absolute difference of those losses (below
    1e-7 each). The gradient, ``(sigmoid(x) - z) / n``, equals the generic
    path's within an absolute 2 float32 ulps of 1 over ``n`` (2.4e-7 / n).
    Raises ``NotImplementedError`` for any case it does not compute (another
    dtype than float32 / float64, shapes that differ, no entries, a 0-d
    tensor, another device, a tensor subclass); the generic ops then run.
    """,
    "variable_assign_add": """
    variable_assign_add(handle, delta) -> handle or None

    `delta` added to the variable storage `handle` in place, outside
    autograd (torch: ``add_``; TensorFlow: ``AssignAddVariableOp``), for
    ``Variable.assign_add`` outside a StatelessScope: metric states, the
    loss tracker and ``iterations`` take one update where
    ``variable_assign(handle, add(value, delta))`` takes an add and a copy
    (in a traced TF step: a read, an add and an assign).

    Args: `handle` a variable's native storage; `delta` a native tensor, a
    Python number, as the caller gave it.

    Returns `handle`, holding exactly ``add(value, delta)`` (the same
    rounding). Returns None, having changed nothing, for what it does not
    do in place (a delta of another dtype, shape or device, a float added to
    an integer variable, a distributed variable): the generic add, cast and
    shape check then run.
    """,
    "variable_assign_sub": """
    variable_assign_sub(handle, delta) -> handle or None

    As ``variable_assign_add``, subtracting (torch: ``sub_``; TensorFlow:
    ``AssignSubVariableOp``): ``Variable.assign_sub``, which the built-in
    optimizers' per-variable updates use.
    """,
    "fused_mean_sparse_categorical_crossentropy": """
    fused_mean_sparse_categorical_crossentropy(target, output, from_logits, axis) -> loss

    The mean over every entry of ``fused_sparse_categorical_crossentropy``'s
    losses, in one kernel (torch: ``F.nll_loss(reduction="mean")``): a loss's
    default reduction ("sum_over_batch_size") with no sample weight and no
    mask, tried by ``SparseCategoricalCrossentropy`` (and the
    ``"sparse_categorical_crossentropy"`` loss) before it reduces the
    per-entry losses with ``mean``.

    Args and declined cases: as ``fused_sparse_categorical_crossentropy``;
    also declines a target with no entries (the generic mean of nothing is
    0). Returns a scalar native tensor. Its sum may run in another order
    than ``mean``'s: the loss equals the generic path's within a relative
    1e-6, and the gradient of `output` equals it to float32 rounding.
    """,
}


# ------------------------------------------------------------- families

#: {family: (function name, ...)}: the functions of each adapter file
#: ``backends/<name>/<family>.py``, in this module's order. Filled by the
#: ``_family`` markers below, so the grouping is written once, here.
FAMILIES = {}
_open_family = [None]  # the family the next defined functions belong to


def _family(family):
    """Assigns the functions defined since the previous marker to its family; opens `family`.

    ``_family(None)`` at the end of the module closes the last family.
    """
    previous = _open_family[0]
    if previous is not None:
        assigned = {name for names in FAMILIES.values() for name in names}
        FAMILIES[previous] = tuple(
            name
            for name, value in globals().items()
            if inspect.isfunction(value) and value.__module__ == __name__
            and not name.startswith("_") and name not in assigned
        )
    _open_family[0] = family


# ------------------------------------------------- tensors and variables

_family("variables")


def is_tensor(x):
    """True if `x` is a native tensor of this framework (not a NumPy array)."""


def convert_to_tensor(x, dtype=None):
    """A native tensor from a tensor, array, scalar, nested list or Variable.

    Python floats become float32 unless `dtype` says otherwise (Keras's floatx);
    NumPy arrays keep their dtype unless `dtype` is given. Exception: a
    framework whose 64-bit types are off by default (JAX without
    ``jax_enable_x64``, as in Keras 3) stores float64/int64 as 32-bit.
    """


def convert_to_numpy(x):
    """A NumPy array with the values of tensor `x` (copies device memory to host)."""


def shape(x):
    """The static shape of `x` as a tuple of ints."""


def dtype(x):
    """The dtype name of `x` as a string, e.g. "float32"."""


def cast(x, dtype):
    """`x` converted to `dtype`."""


def variable_create(value, dtype, trainable, name):
    """The native storage for a new ``kfacade.Variable``.

    `value` is a NumPy array or native tensor of the variable's full shape.
    TensorFlow returns a ``tf.Variable``, torch a ``torch.nn.Parameter`` with
    ``requires_grad=trainable``, JAX a ``jax.Array``. The storage must be
    usable directly as a tensor by this adapter's ops.
    """


def variable_assign(handle, value):
    """Writes `value` into the storage `handle`, returning the storage to keep.

    Stateful frameworks update in place and return `handle`; JAX returns the
    new array. Must not break gradient tracking of a trainable torch
    parameter (write under ``torch.no_grad``).
    """


# ======================================================== family: numpy

_family("numpy")

# ------------------------------------------------------------- creation


def zeros(shape, dtype="float32"):
    """A tensor of zeros."""


def ones(shape, dtype="float32"):
    """A tensor of ones."""


def full(shape, fill_value, dtype="float32"):
    """A tensor filled with `fill_value`."""


def arange(start, stop=None, step=1, dtype=None):
    """Evenly spaced values as NumPy's ``arange``."""


def eye(n, m=None, dtype="float32"):
    """A 2-D identity-like tensor."""


# ---------------------------------------------------- elementwise, unary


def abs(x):
    """Elementwise absolute value."""


def negative(x):
    """Elementwise negation."""


def exp(x):
    """Elementwise e**x."""


def log(x):
    """Elementwise natural logarithm."""


def log1p(x):
    """Elementwise log(1 + x)."""


def expm1(x):
    """Elementwise exp(x) - 1."""


def sqrt(x):
    """Elementwise square root."""


def square(x):
    """Elementwise x * x."""


def sign(x):
    """Elementwise sign (-1, 0, 1)."""


def sin(x):
    """Elementwise sine."""


def cos(x):
    """Elementwise cosine."""


def tanh(x):
    """Elementwise hyperbolic tangent."""


def floor(x):
    """Elementwise floor."""


def ceil(x):
    """Elementwise ceiling."""


def round(x):
    """Elementwise rounding to the nearest even integer (NumPy's rule)."""


def logical_not(x):
    """Elementwise boolean not."""


def isnan(x):
    """Elementwise test for NaN."""


def isfinite(x):
    """Elementwise test for finite values."""


def isinf(x):
    """Elementwise test for +inf or -inf (False for every integer)."""


def tan(x):
    """Elementwise tangent."""


def arcsin(x):
    """Elementwise inverse sine."""


def arccos(x):
    """Elementwise inverse cosine."""


def arctan(x):
    """Elementwise inverse tangent."""


def sinh(x):
    """Elementwise hyperbolic sine."""


def cosh(x):
    """Elementwise hyperbolic cosine."""


def arcsinh(x):
    """Elementwise inverse hyperbolic sine."""


def arccosh(x):
    """Elementwise inverse hyperbolic cosine."""


def arctanh(x):
    """Elementwise inverse hyperbolic tangent."""


def log2(x):
    """Elementwise base-2 logarithm."""


def log10(x):
    """Elementwise base-10 logarithm."""


def erf(x):
    """Elementwise Gauss error function."""


def erfc(x):
    """Elementwise 1 - erf(x), accurate where erf(x) is near 1."""


def erfinv(x):
    """Elementwise inverse of ``erf`` on (-1, 1)."""


def i0(x):
    """Elementwise modified Bessel function of the first kind, order 0, of a
    float tensor (``numpy.i0``), in `x`'s dtype."""


def trunc(x):
    """Elementwise rounding toward zero; integers are returned unchanged.

    The float functions from ``tan`` to ``erfinv`` take integer or bool
    input as floatx, as ``sin`` does.
    """


# --------------------------------------------------- elementwise, binary


def add(x1, x2):
    """Elementwise x1 + x2 with broadcasting."""


def subtract(x1, x2):
    """Elementwise x1 - x2."""


def multiply(x1, x2):
    """Elementwise x1 * x2."""


def divide(x1, x2):
    """Elementwise true division."""


def floor_divide(x1, x2):
    """Elementwise floor division."""


def mod(x1, x2):
    """Elementwise remainder with the sign of the divisor (NumPy's)."""


def power(x1, x2):
    """Elementwise x1 ** x2."""


def maximum(x1, x2):
    """Elementwise maximum."""


def minimum(x1, x2):
    """Elementwise minimum."""


def equal(x1, x2):
    """Elementwise ==, a bool tensor."""


def not_equal(x1, x2):
    """Elementwise !=."""


def less(x1, x2):
    """Elementwise <."""


def less_equal(x1, x2):
    """Elementwise <=."""


def greater(x1, x2):
    """Elementwise >."""


def greater_equal(x1, x2):
    """Elementwise >=."""


def logical_and(x1, x2):
    """Elementwise boolean and."""


def logical_or(x1, x2):
    """Elementwise boolean or."""


def arctan2(x1, x2):
    """Elementwise angle of the point (x2, x1), in radians, in [-pi, pi]."""


def bitwise_and(x1, x2):
    """Elementwise bitwise and of integers or bools."""


def bitwise_or(x1, x2):
    """Elementwise bitwise or of integers or bools."""


def bitwise_xor(x1, x2):
    """Elementwise bitwise exclusive or of integers or bools."""


def bitwise_invert(x):
    """Elementwise bitwise not (``~x``) of integers or bools."""


def left_shift(x1, x2):
    """Elementwise x1 << x2 of integers."""


def right_shift(x1, x2):
    """Elementwise x1 >> x2 of integers (arithmetic for signed ones)."""


def gcd(x1, x2):
    """Elementwise greatest common divisor (non-negative) of two integer
    tensors of one dtype (kfacade promotes them); gcd(0, 0) is 0."""


def nextafter(x1, x2):
    """Elementwise next representable value after `x1` toward `x2`, for two
    float tensors of one dtype (kfacade promotes them): NumPy's ``nextafter``,
    subnormals included; `x2` where the two are equal, NaN where either is."""


def where(condition, x1, x2):
    """Elements of `x1` where `condition` holds, else of `x2`."""


def clip(x, x_min, x_max):
    """`x` limited to [x_min, x_max]."""


# ------------------------------------------------------------ reductions


def sum(x, axis=None, keepdims=False):
    """Sum over `axis`."""


def mean(x, axis=None, keepdims=False):
    """Mean over `axis`."""


def max(x, axis=None, keepdims=False):
    """Maximum over `axis`."""


def min(x, axis=None, keepdims=False):
    """Minimum over `axis`."""


def prod(x, axis=None, keepdims=False):
    """Product over `axis`."""


def var(x, axis=None, keepdims=False):
    """Population variance (ddof=0) over `axis`."""


def any(x, axis=None, keepdims=False):
    """True where any element over `axis` is true."""


def all(x, axis=None, keepdims=False):
    """True where all elements over `axis` are true."""


def argmax(x, axis=None):
    """Index of the maximum along `axis` (int64 in NumPy; int32 allowed)."""


def argmin(x, axis=None):
    """Index of the minimum along `axis`."""


def cumsum(x, axis=None):
    """Cumulative sum along `axis` (flattened when None)."""


def cumprod(x, axis=None):
    """Cumulative product along `axis` (flattened when None); the dtype
    follows ``reduction_result_type("prod", ...)``."""


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) over `axis`, computed stably."""


# --------------------------------------------------------- shape and index


def reshape(x, newshape):
    """`x` with shape `newshape` (one entry may be -1)."""


def transpose(x, axes=None):
    """`x` with axes permuted (reversed when `axes` is None)."""


def expand_dims(x, axis):
    """`x` with a new axis of length 1 at `axis`."""


def squeeze(x, axis=None):
    """`x` without its length-1 axes (or only `axis`)."""


def concatenate(xs, axis=0):
    """The tensors in list `xs` joined along `axis`."""


def stack(xs, axis=0):
    """The tensors in list `xs` stacked along a new `axis`."""


def split(x, indices_or_sections, axis=0):
    """A list of pieces of `x`, as NumPy's ``split``."""


def tile(x, repeats):
    """`x` repeated `repeats` times per axis."""


def repeat(x, repeats, axis=None):
    """Each element of `x` repeated, as NumPy's ``repeat`` (int `repeats`)."""


def broadcast_to(x, shape):
    """`x` broadcast to `shape`."""


def take(x, indices, axis=None):
    """Elements of `x` at integer `indices` along `axis` (gather)."""


def take_along_axis(x, indices, axis):
    """As NumPy's ``take_along_axis``."""


def slice(x, start_indices, shape):
    """The block of `x` starting at `start_indices` of size `shape` (static ints)."""


def pad(x, pad_width, mode="constant", constant_values=0):
    """`x` padded; `pad_width` is a sequence of (before, after) per axis.

    `mode` is "constant", "reflect" or "symmetric".
    """


def flip(x, axis=None):
    """`x` reversed along `axis`."""


def one_hot(x, num_classes, axis=-1, dtype="float32"):
    """One-hot encoding of integer tensor `x`."""


def top_k(x, k, sorted=True):
    """(values, indices) of the `k` largest entries along the last axis."""


def bitcast(x, dtype):
    """The bits of `x` reinterpreted as `dtype` (no conversion), with the
    shape rule of ``tf.bitcast`` and ``lax.bitcast_convert_type``: same
    item size, same shape; to an item size r times smaller, a trailing axis
    of length r is added; to one r times larger, the last axis must have
    length r and is removed. "bool" is a 1-byte type (bytes other than 0 or 1
    read as bool give True). kfacade's ``view`` builds NumPy's rule on it.
    """


def sort(x, axis=-1):
    """`x` sorted ascending along `axis`."""


def argsort(x, axis=-1):
    """Indices that sort `x` ascending along `axis`."""


def searchsorted(sorted_sequence, values, side="left"):
    """Indices (int32) where `values` would be inserted into the ascending
    1-D `sorted_sequence` to keep it sorted; `side` is "left" or "right"
    (NumPy's ``searchsorted``). `values` may have any shape."""


def matmul(x1, x2):
    """Matrix product with NumPy's batching rules."""


def tensordot(x1, x2, axes=2):
    """As NumPy's ``tensordot``."""


def einsum(subscripts, *operands):
    """As NumPy's ``einsum``."""


# =========================================================== family: nn

_family("nn")


def relu(x):
    """max(x, 0)."""


def relu6(x):
    """min(max(x, 0), 6)."""


def sigmoid(x):
    """1 / (1 + exp(-x))."""


def softplus(x):
    """log(1 + exp(x)), computed stably."""


def softsign(x):
    """x / (1 + |x|)."""


def elu(x, alpha=1.0):
    """x if x > 0 else alpha * (exp(x) - 1)."""


def selu(x):
    """Scaled ELU with Keras's constants (alpha=1.67326324, scale=1.05070098)."""


def gelu(x, approximate=True):
    """Gaussian error linear unit (tanh approximation when `approximate`)."""


def silu(x):
    """x * sigmoid(x)."""


def leaky_relu(x, negative_slope=0.2):
    """x if x >= 0 else negative_slope * x."""


def hard_sigmoid(x):
    """Keras's piecewise-linear sigmoid: clip(x / 6 + 0.5, 0, 1)."""


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along `axis`, computed stably."""


def log_softmax(x, axis=-1):
    """log(softmax(x)) along `axis`, computed stably."""


def conv(inputs, kernel, strides=1, padding="valid", data_format="channels_last", dilation_rate=1, groups=1):
    """N-D convolution (N = 1, 2, 3) as ``keras.ops.conv`` (cross-correlation).

    `kernel` has Keras's layout ``spatial... + (in_channels // groups, out_channels)``
    whatever `data_format` is. `strides` and `dilation_rate` are an int or a
    tuple of N ints.
    """


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format="channels_last", dilation_rate=1):
    """Depthwise N-D convolution; `kernel` is ``spatial... + (in_channels, multiplier)``."""


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, data_format="channels_last", dilation_rate=1):
    """Transposed N-D convolution as ``keras.ops.conv_transpose``.

    `kernel` is ``spatial... + (out_channels, in_channels)`` (Keras's layout).
    """


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format="channels_last"):
    """N-D max pooling; `strides` defaults to `pool_size`."""


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format="channels_last"):
    """N-D average pooling; with "same" padding the padded cells are not counted."""


def moments(x, axes, keepdims=False):
    """(mean, variance) of `x` over `axes`, variance with ddof=0."""


def dropout(x, rate, noise_shape=None, seed=None):
    """`x` with each element zeroed with probability `rate`, the rest scaled by 1/(1-rate).

    `noise_shape` broadcasts one mask over some axes (None entries take x's size).
    `rate` is a number in [0, 1], as Keras's ``Dropout`` accepts: 0 returns
    `x` unchanged, 1 returns zeros of `x`'s shape and dtype whose gradient is
    zero (no division by 1 - rate, so no inf or NaN); a rate outside [0, 1]
    raises a ValueError that echoes it.
    `seed` is the seed kfacade drew (see "Seeds" above), never None.
    """


# ========================================================= family: core

_family("core")


def stop_gradient(x):
    """`x`, with no gradient flowing back through it."""



def scan(f, init, xs, length=None, reverse=False, unroll=1):
    """As ``jax.lax.scan``: ``carry, y = f(carry, x)`` over the leading axis of `xs`.

    `init` and the carry are lists or tuples of tensors; `xs` a tensor or a
    list of tensors (leading axis = time); returns ``(final_carry, stacked_ys)``
    with `ys` stacked on a new leading axis. With `reverse` the steps run from
    the last element to the first and `ys` keep their input positions.

    Zero steps (an empty leading axis, or ``length=0``) is not an error, as in
    JAX: the carry is `init` and `ys` has a leading axis of 0, with the
    structure, dtypes and per-step shapes `f` gives. To learn those, an
    adapter calls `f` once on `init` and zeros shaped as one step of `xs`
    (JAX traces it the same way) and discards that call's results; an
    adapter cannot know the shape of `ys` otherwise, and raising instead
    would make an empty sequence fail on one backend and not another.
    """


def scatter_update(inputs, indices, updates, reduction=None):
    """`inputs` with the entries at `indices` replaced or combined with `updates`.

    `indices` is an int ``(N, k)`` tensor of positions in the first `k` axes
    of `inputs`; `updates` has shape ``(N,) + inputs.shape[k:]``. `reduction`
    None writes the updates (for repeated positions, one of them wins),
    "add" adds, "mul" multiplies, "max"/"min" keep the larger/smaller of the
    entry and every update. The result has `inputs`' shape and dtype.
    """


def segment_reduce(data, segment_ids, num_segments, reduction):
    """The "sum", "prod", "max" or "min" of the rows of `data` per segment.

    `segment_ids` is an int ``(data.shape[0],)`` tensor of values in
    ``[0, num_segments)``, in any order (kfacade checks the range when the
    ids are known); the result has shape ``(num_segments,) + data.shape[1:]``. An empty segment gives 0 for
    "sum", 1 for "prod", and for "max" ("min") the lowest (highest) finite
    value of the dtype, as ``tf.math.unsorted_segment_max`` does.
    """


def cond(pred, true_fn, false_fn):
    """``true_fn()`` if the scalar bool `pred` holds, else ``false_fn()``.

    Inside a traced step (``jax.jit``, ``tf.function``) `pred` may be a
    tensor known only at run time: the adapter uses the framework's
    conditional (``lax.cond``, ``tf.cond``), so both functions must return
    the same structure, shapes and dtypes.
    """


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Runs ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)``.

    `loop_vars` is a tensor, or a tuple or list of tensors passed to `cond`
    and `body` as separate arguments; `body` returns the same structure,
    shapes and dtypes. Stops after `maximum_iterations` steps when given.
    Returns the final loop variables in `loop_vars`' structure.
    In a traced step it is the framework's loop (``lax.while_loop``,
    ``tf.while_loop``), so the number of steps may depend on tensor values.
    """


def vectorized_map(function, elements):
    """``function`` applied to each slice of `elements` (a tensor or a tuple or
    list of tensors) along their leading axis, the results stacked: the
    framework's vectorising map (``jax.vmap``, ``tf.vectorized_map``,
    ``torch.vmap``).
    """


def custom_gradient(f):
    """`f` with the gradient it gives itself.

    ``f(*args)`` returns ``(outputs, grad)``: one output tensor, and a
    function ``grad(upstream)`` returning a tuple with one gradient per
    positional argument of `f`. The result is a function of ``*args``
    returning `outputs`, whose gradient under the framework's autodiff
    (``tf.custom_gradient``, ``jax.custom_gradient``, a
    ``torch.autograd.Function``) is what `grad` returns.
    """


def jvp(fun, primals, tangents, has_aux=False):
    """Forward-mode derivative: ``(fun(*primals), J(primals) @ tangents)``.

    `primals` and `tangents` are tuples of one structure (kfacade checks
    it), of native floating tensors. `fun` returns a tensor or a nest of
    them; the tangents out have its structure, zeros where an output does not
    depend on the primals. With `has_aux`, `fun` returns ``(output, aux)``
    and the result is ``(primals_out, tangents_out, aux)``, `aux` not
    differentiated (``jax.jvp``, ``torch.func.jvp``,
    ``tf.autodiff.ForwardAccumulator``).
    """


def remat(fn):
    """A function computing ``fn(*args)`` whose intermediate activations are
    recomputed in the backward pass instead of stored (gradient checkpointing).

    kfacade calls the result with positional native tensors only (it binds
    every other argument into `fn` itself); `fn` returns a tensor or a nest
    of them and may read kfacade Variables, whose gradients must flow as
    without remat. Values and gradients equal ``fn``'s; only memory and
    time differ (``jax.checkpoint``, ``tf.recompute_grad``,
    ``torch.utils.checkpoint.checkpoint``). Where no gradient can be taken
    (torch with grad disabled, JAX on concrete arrays) the adapter may
    simply call `fn`; called eagerly, `fn` sees concrete tensors.
    """


def nonzero(x):
    """A tuple of ``x.ndim`` int32 1-D tensors: the indices of the nonzero
    entries of `x`, in row-major order (``numpy.nonzero``).

    The length depends on the values, so `x` must be concrete: called on a
    value traced into a graph (``jax.jit``, ``tf.function``) it raises a
    ValueError whose text contains "nonzero needs concrete values" (kfacade
    turns it into an error that names its own fix).
    """


# ---------------------------------------------------------------- linalg

_family("linalg")

# Matrices are the last two axes; leading axes are a batch. Results follow
# ``numpy.linalg`` (and ``keras.ops``' names and arguments); integer input
# computes in floatx. A singular input gives whatever the framework's kernel
# gives (NaN or inf); it is not checked (a check would sync a GPU).


def cholesky(x, upper=False):
    """The Cholesky factor of symmetric positive-definite `x`: lower
    triangular L with ``x = L @ L^T`` (or upper U = L^T with `upper`); NaN
    for a matrix that is not positive definite (as TF and JAX give)."""


def det(x):
    """The determinant of each square matrix."""


def slogdet(x):
    """``(sign, log|det|)`` of each square matrix, without overflow."""


def eigh(x):
    """``(eigenvalues ascending, eigenvectors as columns)`` of each symmetric matrix."""


def inv(x):
    """The inverse of each square matrix."""


def lu_factor(x):
    """``(lu, pivots)``: the LU factorisation with partial pivoting of each
    square matrix, as ``scipy.linalg.lu_factor`` (LAPACK's ``getrf``).

    `lu` (``(..., M, M)``, `x`'s float dtype) packs L below the diagonal
    (its unit diagonal not stored) and U on and above it. `pivots`
    (``(..., M)``, int32) are 0-based row interchanges: row ``i`` was
    swapped with row ``pivots[i]``, for ``i = 0, 1, ...`` in turn; torch's
    are 1-based and TF's kernel returns a permutation instead, which the
    adapter converts. A singular matrix gives a zero on U's diagonal, not an
    error, except on TensorFlow, whose CPU kernel raises InvalidArgumentError
    ("Input is not invertible").
    """


def qr(x, mode="reduced"):
    """``(q, r)`` with ``x = q @ r``; `mode` "reduced" (q is (m, min(m, n)))
    or "complete" (q is (m, m))."""


def solve(a, b):
    """`x` with ``a @ x = b`` for square `a`; `b` is a matrix, or a vector
    when 1-D (NumPy 2's rule); batch axes broadcast."""


def solve_triangular(a, b, lower=False):
    """`x` with ``a @ x = b`` for triangular `a` (lower or upper: only that
    triangle of `a` is read); `b` as in ``solve``."""


def svd(x, full_matrices=True, compute_uv=True):
    """``(u, s, vh)`` with ``x = u @ diag(s) @ vh`` and `s` descending; just
    `s` when not `compute_uv`."""


# ------------------------------------------------------------------ fft

_family("fft")

# kfacade has no complex dtypes: a complex tensor is a pair ``(real, imag)``
# of float tensors of one shape and dtype, as ``keras.ops`` passes it. The
# transforms run on the last axis (``fft2``/``ifft2``: the last two), follow
# ``numpy.fft`` with ``norm="backward"`` (no scaling forward, 1/n inverse),
# keep the input's float dtype (kfacade casts integers to floatx first) and
# carry gradients. stft, istft and the windows are composites over these.


def fft(real, imag):
    """``(real, imag)`` of the discrete Fourier transform of ``real + i*imag``
    along the last axis (``numpy.fft.fft``)."""


def fft2(real, imag):
    """``(real, imag)`` of the 2-D discrete Fourier transform over the last two
    axes (``numpy.fft.fft2``)."""


def ifft2(real, imag):
    """``(real, imag)`` of the inverse 2-D transform over the last two axes,
    scaled by ``1 / (m * n)`` (``numpy.fft.ifft2``)."""


def rfft(x, fft_length=None):
    """``(real, imag)`` of the transform of real `x` along its last axis, only
    the ``fft_length // 2 + 1`` non-negative frequencies; `x` is cropped or
    zero-padded to `fft_length` (None: its length) first (``numpy.fft.rfft``)."""


def irfft(real, imag, fft_length=None):
    """The real signal of length `fft_length` (None: ``2 * (n - 1)``) whose
    ``rfft`` is ``real + i*imag`` (``n`` bins on the last axis), cropping or
    zero-padding the bins to ``fft_length // 2 + 1`` (``numpy.fft.irfft``)."""


# --------------------------------------------------------------- random

_family("random")


def random_uniform(shape, minval=0.0, maxval=1.0, dtype="float32", seed=None):
    """Uniform samples in [minval, maxval); `seed` as drawn by kfacade ("Seeds" above)."""


def random_normal(shape, mean=0.0, stddev=1.0, dtype="float32", seed=None):
    """Normal samples; `seed` as drawn by kfacade ("Seeds" above)."""


def random_gamma(shape, alpha, dtype="float32", seed=None):
    """Gamma(alpha, 1) samples of `shape` (a float `dtype`); `alpha` is a
    `dtype` tensor of exactly `shape` (kfacade broadcasts it), so one call
    draws each entry from its own concentration. `seed` as drawn by kfacade
    ("Seeds" above)."""


def random_binomial(shape, counts, probabilities, dtype="float32", seed=None):
    """Binomial(counts, probabilities) samples of `shape`, as values of the
    float `dtype`; `counts` and `probabilities` are float tensors of exactly
    `shape` (kfacade broadcasts them). `seed` as drawn by kfacade ("Seeds" above)."""


def set_global_seed(seed):
    """Seeds the framework's own global generator (``kfacade.utils.set_random_seed``)."""


# --------------------------------------------------------------- devices

_family("device")


def device_scope(device_name):
    """A context manager under which new tensors and variables live on `device_name`.

    Names are Keras's: "cpu", "cpu:0", "gpu:1". Variables created under it
    must still be trainable (a torch parameter stays a leaf that requires grad).
    """


def list_devices(device_type=None):
    """The devices the framework sees, as names like "cpu:0" and "gpu:0"."""


def device_of(x):
    """The Keras name ("cpu:0", "gpu:1") of the device holding tensor or Variable `x`.

    A value spread over several devices (a sharded or mirrored variable)
    names the first of them.
    """


# --------------------------------------------------------- distribution

_family("distribute")

# Two styles run one step over many devices. A *global-view* adapter (JAX)
# compiles one SPMD program over the whole mesh: the step sees the global
# batch and the framework partitions it. A *replica* adapter (TensorFlow's
# MirroredStrategy, torch with one process per device) runs the step once per
# replica on its share of the batch; kfacade's train step then combines the
# replicas through ``cross_replica_sum`` (gradients weighted by each
# replica's sample count, metric states summed), so logs and weights equal
# the one-device result. A batch is split over `n` replicas as
# ``numpy.array_split`` splits it (shares differ by one sample at most); a
# global-view adapter shards a batch the replica count does not divide by
# replicating it instead. No sample is dropped or counted twice.


def distribution_initialize(job_addresses, num_processes, process_id, timeout_seconds):
    """Joins this process to a multi-process job on the framework's own runtime.

    `job_addresses` is a list of "host:port" strings, one per process, the
    first being the coordinator (process 0). JAX calls
    ``jax.distributed.initialize``; torch ``torch.distributed.init_process_group``
    (gloo on CPU, nccl on CUDA) at ``tcp://<job_addresses[0]>``; TensorFlow
    sets ``TF_CONFIG`` for ``MultiWorkerMirroredStrategy``. Collectives time
    out after `timeout_seconds`, so a dead peer makes the others raise
    instead of hanging.
    """


def process_info():
    """``(process_id, num_processes)``; ``(0, 1)`` before ``distribution_initialize``."""


def process_sum(array):
    """The elementwise sum over all processes of a NumPy `array` (each process
    passes one of the same shape and dtype), as a NumPy array.

    Also a barrier: no process returns before every process has called it.
    With one process it returns `array`.
    """


def distribution_devices():
    """The names of every device a mesh may span, over all processes, in the
    framework's global order: with one process the accelerators (GPUs) when
    there are any, else the CPU devices (JAX's or TF's virtual ones included);
    torch with many processes lists one device per process."""


def mesh_create(shape, axis_names, device_names):
    """The native mesh for a ``kfacade.distribution.DeviceMesh`` (opaque to kfacade).

    `shape` and `axis_names` are tuples; `device_names` is a list of names
    from ``distribution_devices()``, in row-major mesh order. JAX returns a
    ``jax.sharding.Mesh``; TensorFlow a ``tf.distribute`` strategy over the
    devices (``MultiWorkerMirroredStrategy`` across processes); torch a
    ``torch.distributed.device_mesh.DeviceMesh``. Raises ValueError for a
    device it does not have, NotImplementedError for a mesh it cannot run.
    """


def distribute_variable(handle, mesh, axes, aggregation):
    """The native storage of a variable laid out on `mesh`, holding `handle`'s value.

    `axes` has one entry per dimension of the variable: a mesh axis name to
    shard that dimension over, or None (all None: replicated). `aggregation`
    is the variable's (``"none"``, ``"sum"``, ``"mean"``,
    ``"only_first_replica"``): a replica adapter keeps a ``"sum"`` variable
    (metric state) as one local copy per replica, which ``cross_replica_sum``
    combines when read, and every other variable mirrored, identical on all
    replicas. A process other than 0 takes process 0's value. Raises
    NotImplementedError naming the alternative for a layout the framework
    cannot hold (TensorFlow's strategies do not shard variables).
    """


def variable_layout(handle):
    """The layout of a variable's native storage: a tuple with one mesh axis
    name or None per dimension (all None when replicated or not distributed)."""


def compile_distributed_function(fn, state_variables, jit_compile, mesh, batch_axis):
    """``compile_function`` for a step run over `mesh`, batches split along `batch_axis`.

    The returned ``step(data)`` takes the *global* batch, the same in every
    process (NumPy arrays or native tensors), and each device receives only
    its share of it (split along the mesh axis named `batch_axis`, as the
    notes above say). `state_variables` have already been distributed with
    ``distribute_variable``. Returns the logs of the whole global batch, as
    native tensors readable in every process.
    """


def cross_replica_sum(values):
    """Inside a replica adapter's distributed step: each tensor of the list
    `values` summed over all replicas (one native collective for the list);
    every replica gets the sums; an empty list gives ``[]`` without
    communicating (how kfacade asks whether it runs in a replica). Anywhere
    else (a global-view adapter, or no distributed step running): None, and
    the caller combines nothing."""


# ------------------------------------------------------- autodiff and steps

_family("step")


def value_and_grad(fn, variables):
    """Calls ``fn()`` and differentiates its first output w.r.t. `variables`.

    `fn` takes no argument and returns ``(loss, aux)``; `variables` is a list
    of ``kfacade.Variable``. Returns ``((loss, aux), grads)`` with one native
    tensor per variable. Inside a stateless scope (JAX) `fn` reads variable
    values from the scope; the adapter differentiates with respect to those.
    """


def no_grad():
    """A context manager under which ops record no gradient history.

    The train step applies the optimizer and updates metrics inside it, after
    the gradient is taken: torch returns ``torch.no_grad()`` (otherwise every
    update on a parameter that requires grad would build an autograd graph);
    frameworks that trace gradients explicitly return a null context.
    """


def compile_function(fn, state_variables, jit_compile):
    """Wraps `fn(data) -> logs` as this backend's compiled step.

    `fn` is written statefully: it reads and assigns ``kfacade.Variable``\\s.
    `state_variables` lists every variable `fn` may read or assign (model,
    optimizer, metrics, seeds). `jit_compile` is True, False or "auto" (the
    adapter's fastest form on the device it runs on). TensorFlow wraps it in
    ``tf.function`` (XLA when True, or "auto" with a GPU); torch runs it
    eagerly, or through ``torch.compile`` when `jit_compile` is True; JAX
    always compiles, turning it into a pure
    function of the state values under ``jax.jit`` (donating the state `fn`
    assigns) and writes the new values back into the variables after each
    call. A variable `fn` only reads is read afresh on every call; one that
    only a later trace assigns (a new batch shape) is stored all the same.
    Returns a callable ``step(data) -> logs`` (logs: dict of native tensors).
    """


_family(None)  # closes the last family
