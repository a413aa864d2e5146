"""Hand-written native equivalents of the benchmark models (``workloads.py``).

``build(backend, model_name, weights, shape, dropout)`` returns a namespace
with ``train_step(x, y)`` (NumPy batch in, native loss out), ``sync(loss)``
(a Python float: waits for the step), ``predict(x)`` (NumPy out),
``eager_call(x)``, ``to_native``, ``to_numpy`` and ``notes`` (how the baseline
is written). `weights` are the Keras model's ``get_weights()``; the native
model starts from them, so the harness can check that both compute the same
first-step loss before timing anything.

Each baseline is written as a careful user of the framework would write it:

- torch: ``nn.Module`` (``nn.LSTM``, ``F.scaled_dot_product_attention``),
  ``torch.optim.RMSprop(foreach=True)`` (torch has no fused RMSprop on CPU),
  ``zero_grad(set_to_none=True)``, dropout masks drawn as ``rand >= p``
  (``nn.Dropout``'s ``bernoulli_`` is slow on the CPU); convolution models use channels-last memory
  (the NHWC batches are channels-last views, no copy) when a probe of two
  steps finds it faster than contiguous NCHW, the CNN then flattening in
  memory order (h, w, c), a view, with its dense kernel's rows to match.
- JAX: the whole step (forward, gradient, RMSprop, dropout RNG split and BN
  statistics) is one ``jax.jit`` with the state donated (``donate_argnums``);
  ``jax.nn.dot_product_attention``; ``lax.scan`` for the LSTM (the input projection inside the scan body: precomputing it for all steps measured slower on CPU). The eager call
  is the un-jitted forward (op by op, as kfacade's eager call).
- TensorFlow: ``tf.Variable`` state, ``tf.function(reduce_retracing=True)`` step
  with ``GradientTape``, called through its ConcreteFunction for the batch's
  shapes (skipping tf.function's per-call dispatch, as kfacade does);
  ``tf.scan`` for the LSTM; the fused batch norm kernel; the eager call runs the forward eagerly.

RMSprop everywhere is Keras's: rho 0.9, epsilon 1e-7, no momentum, learning rate
1e-3, ``x -= lr * g / sqrt(v + epsilon)``; torch's ``optim.RMSprop`` adds epsilon
after the square root instead (the same work; updates differ in the last digits,
which the first-step check does not see). Keras's layouts: Dense kernels (in, out), conv
kernels HWIO, LSTM gates i, f, c, o (torch's i, f, g, o), BatchNormalization
momentum 0.99 / epsilon 1e-3, LayerNormalization epsilon 1e-3.
"""
import types

import numpy as np

LEARNING_RATE = 1e-3
RHO, EPSILON = 0.9, 1e-7
BN_MOMENTUM, BN_EPSILON, LN_EPSILON = 0.99, 1e-3, 1e-3


#: The Keras mixed-precision policies a baseline can mirror, by compute dtype.
POLICIES = {"float32": None, "mixed_bfloat16": "bfloat16", "mixed_float16": "float16"}
#: Keras's ``LossScaleOptimizer`` defaults, which the float16 baselines' dynamic
#: loss scaling mirrors (torch: ``GradScaler``'s initial scale and growth interval).
INITIAL_LOSS_SCALE, LOSS_SCALE_GROWTH_STEPS = 2.0 ** 15, 2000


def build(backend, model_name, weights, shape, dropout=True, policy="float32"):
    """The native model; `policy` a key of ``POLICIES`` (mixed: native AMP)."""
    if policy not in POLICIES:
        raise ValueError(f"Unknown policy {policy!r}; expected one of {sorted(POLICIES)}")
    weights = [np.asarray(w) for w in weights]
    return {"torch": _torch, "jax": _jax, "tensorflow": _tensorflow}[backend](
        model_name, weights, shape, dropout, POLICIES[policy])


def _dropout_rates(model_name, shape, dropout):
    """The dropout rates of `model_name`, in order (all 0 when not `dropout`)."""
    if model_name in ("mlp", "tiny", "eager"):
        rates = [shape["dropout"]] * (len(shape["dims"]) - 2)
    elif model_name == "cnn":
        rates = [0.25, 0.5]
    else:
        rates = []
    return [rate if dropout else 0.0 for rate in rates]


def _cnn_dense_rows_to_chw(kernel, channels):
    """Keras flattens (h, w, c), torch (c, h, w): permute a dense kernel's rows."""
    side = int(round((kernel.shape[0] // channels) ** 0.5))
    return kernel.reshape(side, side, channels, -1).transpose(2, 0, 1, 3).reshape(kernel.shape)


# ---------------------------------------------------------------------- torch


def _torch(model_name, weights, shape, dropout, compute_dtype):
    import contextlib

    import torch
    from torch import nn
    import torch.nn.functional as F

    rates = _dropout_rates(model_name, shape, dropout)
    # kfacade's torch adapter computes on the GPU whenever torch sees one: so does this.
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    amp_dtype = None if compute_dtype is None else getattr(torch, compute_dtype)
    # A batch's host-to-device copy (a DataLoader loop's ``.to(device)``); on the CPU, none.
    on_device = torch.from_numpy if device.type == "cpu" else (
        lambda a: torch.from_numpy(a).to(device))

    def autocast():
        """Native AMP for a mixed policy: matmuls and convolutions in the
        half dtype, losses and normalizations in float32 (torch's own lists)."""
        if amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device.type, dtype=amp_dtype)
    as_t = lambda a: torch.from_numpy(np.ascontiguousarray(a))  # noqa: E731

    def linear(kernel, bias):
        layer = nn.Linear(*kernel.shape, bias=bias is not None)
        with torch.no_grad():
            layer.weight.copy_(as_t(kernel.T))
            if bias is not None:
                layer.bias.copy_(as_t(bias))
        return layer

    def conv(kernel, bias, padding):
        layer = nn.Conv2d(kernel.shape[2], kernel.shape[3], kernel.shape[:2], padding=padding,
                          bias=bias is not None)
        with torch.no_grad():
            layer.weight.copy_(as_t(kernel.transpose(3, 2, 0, 1)))
            if bias is not None:
                layer.bias.copy_(as_t(bias))
        return layer

    def batch_norm(gamma, beta, mean, variance):
        layer = nn.BatchNorm2d(len(gamma), eps=BN_EPSILON, momentum=1 - BN_MOMENTUM)
        with torch.no_grad():
            for target, value in ((layer.weight, gamma), (layer.bias, beta),
                                  (layer.running_mean, mean), (layer.running_var, variance)):
                target.copy_(as_t(value))
        return layer

    class Dropout(nn.Module):
        """``nn.Dropout``'s math, ``x * mask / (1 - p)``, with the mask drawn as
        ``rand >= p``: on the CPU ``nn.Dropout``'s ``bernoulli_`` took 3.8 ms
        of a 77 ms CNN step where ``uniform_`` and a compare took 1.3."""

        def __init__(self, p):
            super().__init__()
            self.p = p

        def forward(self, x):
            if not self.training or not self.p:
                return x
            return x * torch.rand_like(x).ge_(self.p).mul_(1.0 / (1.0 - self.p))

    image = model_name in ("cnn", "resnet")
    if model_name in ("mlp", "tiny", "eager"):
        stack = []
        for i in range(0, len(weights), 2):
            stack.append(linear(weights[i], weights[i + 1]))
            if i + 2 < len(weights):
                stack.append(nn.ReLU())
                if rates and rates[i // 2]:
                    stack.append(Dropout(rates[i // 2]))
        module = nn.Sequential(*stack)
        loss_fn = nn.CrossEntropyLoss()
    elif model_name == "cnn":
        c1, b1, c2, b2, d1, db1, d2, db2 = weights

        class FlattenHWC(nn.Module):
            """Flattens a channels-last batch in its memory order, (h, w, c): a view,
            where ``nn.Flatten``'s (c, h, w) order copies the batch each way."""

            def forward(self, x):
                return x.permute(0, 2, 3, 1).flatten(1)

        def make_module(channels_last):
            # The dense kernel's rows in the order the flatten gives: Keras's own
            # (h, w, c) for channels-last, permuted to (c, h, w) for NCHW.
            flatten, dense = ((FlattenHWC(), d1) if channels_last
                              else (nn.Flatten(), _cnn_dense_rows_to_chw(d1, c2.shape[3])))
            return nn.Sequential(
                conv(c1, b1, 0), nn.ReLU(), conv(c2, b2, 0), nn.ReLU(), nn.MaxPool2d(2),
                Dropout(rates[0]), flatten, linear(dense, db1),
                nn.ReLU(), Dropout(rates[1]), linear(d2, db2))

        loss_fn = nn.CrossEntropyLoss()
    elif model_name == "lstm":
        embeddings, kernel, recurrent_kernel, bias, dense_kernel, dense_bias = weights

        class LSTMClassifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.embedding = nn.Embedding(*embeddings.shape)
                self.lstm = nn.LSTM(kernel.shape[0], recurrent_kernel.shape[0], batch_first=True)
                self.dense = linear(dense_kernel, dense_bias)
                with torch.no_grad():
                    self.embedding.weight.copy_(as_t(embeddings))
                    self.lstm.weight_ih_l0.copy_(as_t(kernel.T))
                    self.lstm.weight_hh_l0.copy_(as_t(recurrent_kernel.T))
                    self.lstm.bias_ih_l0.copy_(as_t(bias))
                    self.lstm.bias_hh_l0.zero_()

            def forward(self, x):
                embedded = self.embedding(x)
                if amp_dtype is not None:
                    # Keras's Embedding computes in the policy's half dtype, where
                    # autocast leaves an embedding in float32; and oneDNN's LSTM
                    # fed float32 under autocast fails to build its primitive on
                    # CPUs without AVX-512 (seen on an AMD EPYC).
                    embedded = embedded.to(dtype=amp_dtype)
                outputs, _ = self.lstm(embedded)
                return self.dense(outputs[:, -1])

        module = LSTMClassifier()
        loss_fn = nn.BCEWithLogitsLoss()
    elif model_name == "resnet":
        class ResNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.stem, self.stem_bn = conv(weights[0], None, 1), batch_norm(*weights[1:5])
                blocks = []
                for b in range(shape["blocks"]):
                    w = weights[5 + 10 * b: 15 + 10 * b]
                    blocks.append(nn.ModuleList([conv(w[0], None, 1), batch_norm(*w[1:5]),
                                                 conv(w[5], None, 1), batch_norm(*w[6:10])]))
                self.blocks, self.head = nn.ModuleList(blocks), linear(weights[-2], weights[-1])

            def forward(self, x):
                x = F.relu(self.stem_bn(self.stem(x)))
                for conv1, bn1, conv2, bn2 in self.blocks:
                    x = F.relu(x + bn2(conv2(F.relu(bn1(conv1(x))))))
                return self.head(x.mean((2, 3)))

        def make_module(channels_last):
            return ResNet()

        loss_fn = nn.CrossEntropyLoss()
    elif model_name == "transformer":
        (qk, qb, kk, kb, vk, vb, ok, ob, g1, be1, f1, fb1, f2, fb2, g2, be2, hk, hb) = weights
        width, heads, key_dim = shape["width"], shape["heads"], shape["key_dim"]

        def layer_norm(gamma, beta):
            layer = nn.LayerNorm(width, eps=LN_EPSILON)
            with torch.no_grad():
                layer.weight.copy_(as_t(gamma))
                layer.bias.copy_(as_t(beta))
            return layer

        class Encoder(nn.Module):
            def __init__(self):
                super().__init__()
                self.query = linear(qk.reshape(width, -1), qb.reshape(-1))
                self.key = linear(kk.reshape(width, -1), kb.reshape(-1))
                self.value = linear(vk.reshape(width, -1), vb.reshape(-1))
                self.output = linear(ok.reshape(-1, width), ob)
                self.norm1, self.norm2 = layer_norm(g1, be1), layer_norm(g2, be2)
                self.ffn1, self.ffn2 = linear(f1, fb1), linear(f2, fb2)
                self.head = linear(hk, hb)

            def forward(self, x):
                batch, length, _ = x.shape
                split = lambda t: t.view(batch, length, heads, key_dim).transpose(1, 2)  # noqa: E731
                attention = F.scaled_dot_product_attention(
                    split(self.query(x)), split(self.key(x)), split(self.value(x)))
                attention = self.output(attention.transpose(1, 2).reshape(batch, length, heads * key_dim))
                x = self.norm1(x + attention)
                x = self.norm2(x + self.ffn2(F.relu(self.ffn1(x))))
                return self.head(x.mean(1))

        module = Encoder()
        loss_fn = nn.CrossEntropyLoss()
    else:
        raise ValueError(model_name)

    state = {"memory_format": torch.contiguous_format}

    def to_native(x):
        x = on_device(x)
        if image:  # NHWC NumPy -> NCHW view: channels-last strides already
            x = x.permute(0, 3, 1, 2)
            x = x.contiguous(memory_format=state["memory_format"])
        return x

    # float16 needs dynamic loss scaling (Keras wraps the optimizer in a
    # LossScaleOptimizer): torch's GradScaler, from Keras's initial scale.
    scaler = None
    if amp_dtype is torch.float16:
        scaler = torch.amp.GradScaler(device.type, init_scale=INITIAL_LOSS_SCALE,
                                      growth_interval=LOSS_SCALE_GROWTH_STEPS)

    def train_step(x, y):
        x, y = to_native(x), on_device(y)
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(module(x), y)
        loss.backward()
        optimizer.step()
        return loss

    def amp_train_step(x, y):
        x, y = to_native(x), on_device(y)
        optimizer.zero_grad(set_to_none=True)
        with autocast():
            loss = loss_fn(module(x), y)
        if scaler is None:
            loss.backward()
            optimizer.step()
        else:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        return loss

    notes = ""
    if image:
        notes, module = _torch_pick_memory_format(make_module, loss_fn, shape, state, to_native,
                                                  device, autocast)
    else:
        module = module.to(device)
    optimizer = _torch_rmsprop(module.parameters())
    module.train()

    def predict(x):
        module.eval()
        with torch.inference_mode(), autocast():
            return module(to_native(x)).float().cpu().numpy()

    def amp_eager_call(x):
        with autocast():
            return module(x)

    # float32 calls the module as before: no context manager entered per step or call.
    return types.SimpleNamespace(
        train_step=train_step if amp_dtype is None else amp_train_step,
        sync=lambda loss: loss.item(), predict=predict,
        eager_call=module if amp_dtype is None else amp_eager_call, to_native=on_device,
        to_numpy=lambda t: t.detach().float().cpu().numpy(), notes=notes)


def _torch_rmsprop(parameters):
    """torch's fastest RMSprop: ``fused=True`` where the installed torch has a
    fused RMSprop for the parameters' device (none up to 2.13), else ``foreach=True``."""
    import inspect

    import torch

    parameters = list(parameters)
    options = dict(lr=LEARNING_RATE, alpha=RHO, eps=EPSILON)
    if "fused" in inspect.signature(torch.optim.RMSprop).parameters:
        try:
            return torch.optim.RMSprop(parameters, fused=True, **options)
        except (RuntimeError, ValueError):  # no fused kernel for this device or dtype
            pass
    return torch.optim.RMSprop(parameters, foreach=True, **options)


def _torch_pick_memory_format(make_module, loss_fn, shape, state, to_native, device, autocast):
    """Builds the model on `device` in each memory format (``make_module(channels_last)``),
    times two forward-backward passes (no update, under `autocast()`) of each, and returns
    ``(name, module)`` of the faster, which `state` then names for `to_native`."""
    import time

    import torch

    rng = np.random.default_rng(99)
    channels = 1 if "filters" in shape else 3
    x = rng.standard_normal((shape["batch"], shape["side"], shape["side"], channels)).astype("float32")
    y = torch.from_numpy(rng.integers(0, 10, shape["batch"]).astype("int64")).to(device)
    synchronize = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    candidates = {}
    for name, memory_format in (("NCHW", torch.contiguous_format), ("channels-last", torch.channels_last)):
        module = make_module(memory_format is torch.channels_last).to(device, memory_format=memory_format)
        module.eval()  # no BN statistic or dropout side effects while probing
        state["memory_format"] = memory_format
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            with autocast():
                loss = loss_fn(module(to_native(x)), y)
            loss.backward()
            synchronize()
            best = min(best, time.perf_counter() - start)
        module.zero_grad(set_to_none=True)
        candidates[name] = (best, memory_format, module)
    name = min(candidates, key=lambda k: candidates[k][0])
    state["memory_format"] = candidates[name][1]
    return name, candidates[name][2]


# ------------------------------------------------------------------------ JAX


def _norm_indices(model_name, weights):
    """Indices of the normalization layers' weights (BN gamma, beta and moving
    statistics; LayerNormalization gamma and beta): float32 under a mixed
    policy, as Keras keeps them (those layers compute in float32)."""
    if model_name == "resnet":
        return [i for i in range(1, len(weights) - 2) if (i - 1) % 5 < 4]
    if model_name == "transformer":
        return [8, 9, 14, 15]
    return []


def _jax(model_name, weights, shape, dropout, compute_dtype):
    import jax
    import jax.numpy as jnp
    from jax import lax

    rates = _dropout_rates(model_name, shape, dropout)
    # Indices of non-trainable weights (BN moving statistics): state, not params.
    stat_idx = [i for i in range(len(weights)) if model_name == "resnet" and (i - 1) % 5 in (2, 3)
                and i < len(weights) - 2]
    # A mixed policy the way JAX users write it: float32 master weights, cast to
    # the compute dtype in the forward pass (normalizations stay float32).
    norm_idx = set(_norm_indices(model_name, weights))
    half = None if compute_dtype is None else jnp.dtype(compute_dtype)

    def to_compute(w, x):
        if half is None:
            return w, x
        w = [v if i in norm_idx else v.astype(half) for i, v in enumerate(w)]
        return w, (x.astype(half) if jnp.issubdtype(x.dtype, jnp.floating) else x)

    def drop(x, rate, key):
        if not rate:
            return x
        keep = jax.random.bernoulli(key, 1 - rate, x.shape)
        return jnp.where(keep, x / (1 - rate), 0)

    def conv(x, kernel, padding):
        return lax.conv_general_dilated(x, kernel, (1, 1), padding,
                                        dimension_numbers=("NHWC", "HWIO", "NHWC"))

    def forward(w, x, key, training):
        """Logits and {index: new value} of the BN statistics."""
        updates = {}
        w, x = to_compute(w, x)
        keys = jax.random.split(key, max(len(rates), 1)) if training and key is not None else None
        if model_name in ("mlp", "tiny", "eager"):
            for i in range(0, len(w), 2):
                x = x @ w[i] + w[i + 1]
                if i + 2 < len(w):
                    x = jax.nn.relu(x)
                    if training and rates:
                        x = drop(x, rates[i // 2], keys[i // 2])
            return x, updates
        if model_name == "cnn":
            c1, b1, c2, b2, d1, db1, d2, db2 = w
            x = jax.nn.relu(conv(jax.nn.relu(conv(x, c1, "VALID") + b1), c2, "VALID") + b2)
            x = lax.reduce_window(x, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
            if training:
                x = drop(x, rates[0], keys[0])
            x = jax.nn.relu(x.reshape(x.shape[0], -1) @ d1 + db1)
            if training:
                x = drop(x, rates[1], keys[1])
            return x @ d2 + db2, updates
        if model_name == "lstm":
            embeddings, kernel, recurrent_kernel, bias, dense_kernel, dense_bias = w
            inputs = jnp.take(embeddings, x, axis=0)  # (batch, time, embed)
            units = recurrent_kernel.shape[0]

            def cell(carry, x_t):
                h, c = carry
                z = x_t @ kernel + h @ recurrent_kernel + bias
                z_i, z_f, z_c, z_o = jnp.split(z, 4, axis=-1)
                c = jax.nn.sigmoid(z_f) * c + jax.nn.sigmoid(z_i) * jnp.tanh(z_c)
                h = jax.nn.sigmoid(z_o) * jnp.tanh(c)
                return (h, c), None

            zeros = jnp.zeros((x.shape[0], units), inputs.dtype)
            (h, _), _ = lax.scan(cell, (zeros, zeros), jnp.swapaxes(inputs, 0, 1))
            return h @ dense_kernel + dense_bias, updates
        if model_name == "resnet":
            def bn(x, i):
                gamma, beta, mean, variance = w[i:i + 4]
                dtype, x = x.dtype, x.astype(jnp.float32)
                if training:
                    batch_mean, batch_var = jnp.mean(x, (0, 1, 2)), jnp.var(x, (0, 1, 2))
                    updates[i + 2] = mean * BN_MOMENTUM + batch_mean * (1 - BN_MOMENTUM)
                    updates[i + 3] = variance * BN_MOMENTUM + batch_var * (1 - BN_MOMENTUM)
                    mean, variance = batch_mean, batch_var
                # x * inv + per-feature shift: XLA's step measured 1.5x faster than
                # with (x - mean) * inv * gamma + beta, and jnp.var 1.1x faster than
                # the one-pass E[x^2] - E[x]^2 in this form.
                inv = lax.rsqrt(variance + BN_EPSILON) * gamma
                return (x * inv + (beta - mean * inv)).astype(dtype)

            x = jax.nn.relu(bn(conv(x, w[0], "SAME"), 1))
            for b in range(shape["blocks"]):
                i = 5 + 10 * b
                y = jax.nn.relu(bn(conv(x, w[i], "SAME"), i + 1))
                x = jax.nn.relu(x + bn(conv(y, w[i + 5], "SAME"), i + 6))
            return jnp.mean(x, (1, 2)) @ w[-2] + w[-1], updates
        if model_name == "transformer":
            (qk, qb, kk, kb, vk, vb, ok, ob, g1, be1, f1, fb1, f2, fb2, g2, be2, hk, hb) = w

            def layer_norm(x, gamma, beta):
                dtype, x = x.dtype, x.astype(jnp.float32)
                mean = jnp.mean(x, -1, keepdims=True)
                variance = jnp.var(x, -1, keepdims=True)
                return ((x - mean) * lax.rsqrt(variance + LN_EPSILON) * gamma + beta).astype(dtype)

            q = jnp.einsum("btd,dnh->btnh", x, qk) + qb
            k = jnp.einsum("btd,dnh->btnh", x, kk) + kb
            v = jnp.einsum("btd,dnh->btnh", x, vk) + vb
            attention = jnp.einsum("btnh,nhd->btd", jax.nn.dot_product_attention(q, k, v), ok) + ob
            x = layer_norm(x + attention, g1, be1)
            x = layer_norm(x + jax.nn.relu(x @ f1 + fb1) @ f2 + fb2, g2, be2)
            return jnp.mean(x, 1) @ hk + hb, updates
        raise ValueError(model_name)

    def loss_fn(params, stats, x, y, key, scale=None):
        full = _merge(params, stats, stat_idx)
        logits, updates = forward(full, x, key, True)
        logits = logits.astype(jnp.float32)  # Keras's losses compute in float32
        if model_name == "lstm":
            loss = jnp.mean(jnp.maximum(logits, 0) - logits * y + jnp.log1p(jnp.exp(-jnp.abs(logits))))
        else:
            loss = -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], axis=1))
        stats = [updates[i] for i in stat_idx]
        if scale is None:
            return loss, stats
        return loss * scale, (stats, loss)

    def rmsprop(params, slots, grads):
        slots = [RHO * s + (1 - RHO) * g * g for s, g in zip(slots, grads)]
        params = [p - LEARNING_RATE * g / jnp.sqrt(s + EPSILON) for p, g, s in zip(params, grads, slots)]
        return params, slots

    def step(state, x, y):
        params, slots, stats, key = state
        key, sub = jax.random.split(key)
        (loss, stats), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, stats, x, y, sub)
        params, slots = rmsprop(params, slots, grads)
        return (params, slots, stats, key), loss

    def scaled_step(state, x, y):
        """float16: Keras's dynamic loss scaling (LossScaleOptimizer): the step is
        skipped and the scale halved on a non-finite gradient; the scale doubles
        after LOSS_SCALE_GROWTH_STEPS finite steps in a row."""
        params, slots, stats, key, (scale, good) = state
        key, sub = jax.random.split(key)
        (_, (stats, loss)), grads = jax.value_and_grad(loss_fn, has_aux=True)(
            params, stats, x, y, sub, scale)
        grads = [g / scale for g in grads]
        finite = jnp.all(jnp.stack([jnp.all(jnp.isfinite(g)) for g in grads]))
        new_params, new_slots = rmsprop(params, slots, grads)
        params = [jnp.where(finite, n, p) for n, p in zip(new_params, params)]
        slots = [jnp.where(finite, n, s) for n, s in zip(new_slots, slots)]
        good = jnp.where(finite, good + 1, 0)
        grow = good >= LOSS_SCALE_GROWTH_STEPS
        scale = jnp.where(finite, jnp.where(grow, scale * 2, scale), scale / 2)
        return (params, slots, stats, key, (scale, jnp.where(grow, 0, good))), loss

    params = [jnp.asarray(w) for i, w in enumerate(weights) if i not in stat_idx]
    state = (params, [jnp.zeros_like(p) for p in params],
             [jnp.asarray(weights[i]) for i in stat_idx], jax.random.PRNGKey(0))
    if half == jnp.float16:
        step = scaled_step
        state += ((jnp.asarray(INITIAL_LOSS_SCALE, jnp.float32), jnp.asarray(0, jnp.int32)),)
    step = jax.jit(step, donate_argnums=(0,))
    holder = {"state": state}

    def train_step(x, y):
        holder["state"], loss = step(holder["state"], x, y)
        return loss

    infer = jax.jit(lambda params, stats, x: forward(_merge(params, stats, stat_idx), x, None, False)[0])

    def current():
        return _merge(holder["state"][0], holder["state"][2], stat_idx)

    return types.SimpleNamespace(
        train_step=train_step, sync=lambda loss: float(loss),
        predict=lambda x: np.asarray(infer(holder["state"][0], holder["state"][2], x), "float32"),
        eager_call=lambda x: forward(current(), x, None, False)[0],
        to_native=jnp.asarray, to_numpy=lambda t: np.asarray(t, "float32"),
        notes="")


def _merge(params, stats, stat_idx):
    """The full weight list from trainable `params` and BN `stats` at `stat_idx`."""
    params, stats = iter(params), dict(zip(stat_idx, stats))
    full, i = [], 0
    while True:
        if i in stats:
            full.append(stats[i])
        else:
            value = next(params, None)
            if value is None:
                return full
            full.append(value)
        i += 1


# ----------------------------------------------------------------- TensorFlow


def _tensorflow(model_name, weights, shape, dropout, compute_dtype):
    import tensorflow as tf

    rates = _dropout_rates(model_name, shape, dropout)
    stat_idx = [i for i in range(len(weights)) if model_name == "resnet" and (i - 1) % 5 in (2, 3)
                and i < len(weights) - 2]
    w = [tf.Variable(value) for value in weights]
    trainable = [v for i, v in enumerate(w) if i not in stat_idx]
    slots = [tf.Variable(tf.zeros_like(v)) for v in trainable]
    # A mixed policy: float32 variables read in the compute dtype, as JAX's (above).
    norm_idx = set(_norm_indices(model_name, weights))
    half = None if compute_dtype is None else tf.as_dtype(compute_dtype)

    def to_compute(x):
        if half is None:
            return w, x
        return ([v if i in norm_idx else tf.cast(v, half) for i, v in enumerate(w)],
                tf.cast(x, half) if x.dtype.is_floating else x)

    def conv(x, kernel, padding):
        return tf.nn.conv2d(x, kernel, 1, padding)

    def forward(x, training):
        w, x = to_compute(x)
        if model_name in ("mlp", "tiny", "eager"):
            for i in range(0, len(w), 2):
                x = tf.matmul(x, w[i]) + w[i + 1]
                if i + 2 < len(w):
                    x = tf.nn.relu(x)
                    if training and rates and rates[i // 2]:
                        x = tf.nn.dropout(x, rates[i // 2])
            return x
        if model_name == "cnn":
            c1, b1, c2, b2, d1, db1, d2, db2 = w
            x = tf.nn.relu(conv(tf.nn.relu(conv(x, c1, "VALID") + b1), c2, "VALID") + b2)
            x = tf.nn.max_pool2d(x, 2, 2, "VALID")
            if training and rates[0]:
                x = tf.nn.dropout(x, rates[0])
            x = tf.nn.relu(tf.matmul(tf.reshape(x, (tf.shape(x)[0], -1)), d1) + db1)
            if training and rates[1]:
                x = tf.nn.dropout(x, rates[1])
            return tf.matmul(x, d2) + db2
        if model_name == "lstm":
            embeddings, kernel, recurrent_kernel, bias, dense_kernel, dense_bias = w
            inputs = tf.einsum("bte,eg->btg", tf.gather(embeddings, x), kernel) + bias
            units = weights[2].shape[0]

            def cell(carry, z_x):
                h, c = carry
                z_i, z_f, z_c, z_o = tf.split(z_x + tf.matmul(h, recurrent_kernel), 4, axis=-1)
                c = tf.sigmoid(z_f) * c + tf.sigmoid(z_i) * tf.tanh(z_c)
                return tf.sigmoid(z_o) * tf.tanh(c), c

            zeros = tf.zeros((tf.shape(x)[0], units), inputs.dtype)
            hs, _ = tf.scan(cell, tf.transpose(inputs, (1, 0, 2)), initializer=(zeros, zeros))
            return tf.matmul(hs[-1], dense_kernel) + dense_bias
        if model_name == "resnet":
            def bn(x, i):
                gamma, beta, mean, variance = w[i:i + 4]
                # The fused kernel (FusedBatchNormV3): the step measured 32.7 -> 24 ms
                # against tf.nn.moments + tf.nn.batch_normalization.
                dtype, x = x.dtype, tf.cast(x, tf.float32)
                if training:
                    y, batch_mean, batch_var = tf.compat.v1.nn.fused_batch_norm(
                        x, gamma, beta, epsilon=BN_EPSILON, is_training=True)
                    n = tf.cast(tf.size(x) // tf.shape(x)[-1], tf.float32)
                    batch_var = batch_var * ((n - 1) / n)  # Keras moves towards the biased one
                    mean.assign(mean * BN_MOMENTUM + batch_mean * (1 - BN_MOMENTUM))
                    variance.assign(variance * BN_MOMENTUM + batch_var * (1 - BN_MOMENTUM))
                    return tf.cast(y, dtype)
                return tf.cast(tf.compat.v1.nn.fused_batch_norm(
                    x, gamma, beta, mean, variance, epsilon=BN_EPSILON, is_training=False)[0], dtype)

            x = tf.nn.relu(bn(conv(x, w[0], "SAME"), 1))
            for b in range(shape["blocks"]):
                i = 5 + 10 * b
                y = tf.nn.relu(bn(conv(x, w[i], "SAME"), i + 1))
                x = tf.nn.relu(x + bn(conv(y, w[i + 5], "SAME"), i + 6))
            return tf.matmul(tf.reduce_mean(x, (1, 2)), w[-2]) + w[-1]
        if model_name == "transformer":
            (qk, qb, kk, kb, vk, vb, ok, ob, g1, be1, f1, fb1, f2, fb2, g2, be2, hk, hb) = w
            key_dim = shape["key_dim"]

            def layer_norm(x, gamma, beta):
                dtype, x = x.dtype, tf.cast(x, tf.float32)
                mean, variance = tf.nn.moments(x, [-1], keepdims=True)
                return tf.cast((x - mean) * tf.math.rsqrt(variance + LN_EPSILON) * gamma + beta, dtype)

            q = tf.einsum("btd,dnh->bnth", x, qk) + tf.expand_dims(qb, 1)
            k = tf.einsum("btd,dnh->bnth", x, kk) + tf.expand_dims(kb, 1)
            v = tf.einsum("btd,dnh->bnth", x, vk) + tf.expand_dims(vb, 1)
            scores = tf.nn.softmax(tf.matmul(q * (1.0 / key_dim ** 0.5), k, transpose_b=True))
            attention = tf.einsum("bnth,nhd->btd", tf.matmul(scores, v), ok) + ob
            x = layer_norm(x + attention, g1, be1)
            x = layer_norm(x + tf.matmul(tf.nn.relu(tf.matmul(x, f1) + fb1), f2) + fb2, g2, be2)
            return tf.matmul(tf.reduce_mean(x, 1), hk) + hb
        raise ValueError(model_name)

    # float16: Keras's dynamic loss scaling, as the JAX baseline's scaled_step.
    scaling = half == tf.float16
    if scaling:
        scale, good = tf.Variable(INITIAL_LOSS_SCALE), tf.Variable(0)

    @tf.function(reduce_retracing=True)
    def train_function(x, y):
        with tf.GradientTape() as tape:
            logits = tf.cast(forward(x, True), tf.float32)  # Keras's losses compute in float32
            if model_name == "lstm":
                loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(y, logits))
            else:
                loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits))
            scaled = loss * scale if scaling else loss
        # The embedding's IndexedSlices: a dense update, as Keras's.
        grads = [tf.convert_to_tensor(g) for g in tape.gradient(scaled, trainable)]
        if scaling:
            grads = [g / scale for g in grads]
            finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(g)) for g in grads])
        for v, g, s in zip(trainable, grads, slots):
            if not scaling:
                s.assign(RHO * s + (1 - RHO) * tf.square(g))
                v.assign_sub(LEARNING_RATE * g / tf.sqrt(s + EPSILON))
                continue
            # A skipped step leaves the variable and its slot alone.
            new_s = tf.where(finite, RHO * s + (1 - RHO) * tf.square(g), s)
            v.assign(tf.where(finite, v - LEARNING_RATE * g / tf.sqrt(new_s + EPSILON), v))
            s.assign(new_s)
        if scaling:
            count = tf.where(finite, good + 1, 0)
            grow = count >= LOSS_SCALE_GROWTH_STEPS
            scale.assign(tf.where(finite, tf.where(grow, scale * 2, scale), scale / 2))
            good.assign(tf.where(grow, 0, count))
        return loss

    infer = _concrete_calls(tf.function(lambda x: forward(x, False), reduce_retracing=True))
    train_step = _concrete_calls(train_function)
    return types.SimpleNamespace(
        train_step=train_step, sync=lambda loss: float(loss),
        predict=lambda x: tf.cast(infer(x), tf.float32).numpy(),
        eager_call=lambda x: forward(x, False), to_native=tf.convert_to_tensor,
        to_numpy=lambda t: tf.cast(t, tf.float32).numpy(), notes="")


def _concrete_calls(function):
    """Calls `function`'s ConcreteFunction for the arguments' shapes and dtypes
    directly, as kfacade's TF step does: tf.function's per-call dispatch
    (matching every argument's trace type) is 0.1-0.2 ms, a small step's size."""
    import tensorflow as tf

    concrete = {}

    def call(*args):
        args = [tf.convert_to_tensor(a) for a in args]
        key = tuple((tuple(a.shape), a.dtype) for a in args)
        if key not in concrete:
            concrete[key] = function.get_concrete_function(*args)
        return concrete[key](*args)

    return call
