"""``kfacade.remat`` and ``kfacade.RematScope`` (gradient checkpointing).

Rematerialization must change nothing but memory: values and gradients are
compared with the plain function, and a model built under a scope trains to
the same weights. Whether the framework's checkpoint is really used is
checked per backend: JAX's jaxpr holds a remat primitive, torch saves fewer
tensors for the backward pass, and TensorFlow's gradient graph recomputes
the forward ops.
"""
import contextlib

import numpy as np
import pytest

import kfacade
from kfacade import layers, ops
from kfacade.backend import adapter as B

from helpers import assert_close

F32 = "float32"
rng = np.random.default_rng(0)
X = rng.normal(size=(4, 8)).astype(F32)
Y = rng.normal(size=(4, 2)).astype(F32)


def _block(x, v, scale=None, training=False):
    """Tensors, a Variable read inside, and non-tensor arguments to branch on."""
    y = ops.tanh(ops.matmul(x, v.value))
    if training:
        y = y * scale
    return ops.sum(y * y)


def test_an_eager_remat_call_runs_on_concrete_values():
    """Called eagerly, the function sees concrete tensors, as when called
    without remat: it may read a value in Python (JAX used to trace it)."""
    seen = []

    def block(x):
        seen.append(float(B.convert_to_numpy(ops.sum(x))))
        return ops.tanh(x) * 2.0

    out = kfacade.remat(block)(X)
    assert_close(B.convert_to_numpy(out), np.tanh(X) * 2.0)
    assert seen == [pytest.approx(float(X.sum()), rel=1e-5)]


def test_remat_gives_the_same_value_and_gradients():
    v = kfacade.Variable(rng.normal(size=(8, 3)).astype(F32), name="v")
    x = ops.convert_to_tensor(X)
    plain, rematerialized = _block, kfacade.remat(_block)
    assert rematerialized.__wrapped__ is _block
    results = [
        B.value_and_grad(lambda f=f: (f(x, v, scale=2.0, training=True), None), [v])
        for f in (plain, rematerialized)
    ]
    (loss, _), (grad,) = results[0]
    (remat_loss, _), (remat_grad,) = results[1]
    expected = np.tanh(X @ ops.convert_to_numpy(v.value)) * 2.0
    assert_close(loss, np.sum(expected * expected), rtol=1e-5)
    assert_close(remat_loss, loss)
    assert_close(remat_grad, grad)


def test_scope_modes_are_validated_and_read_at_construction():
    with pytest.raises(ValueError, match="Invalid mode 'everything'"):
        kfacade.RematScope(mode="everything")
    scope = kfacade.RematScope()
    assert (scope.mode, scope.output_size_threshold, scope.layer_names) == ("full", 1024, [])
    outside = layers.Dense(3)
    with kfacade.RematScope("full"):
        inside = layers.Dense(3)
        with kfacade.RematScope(None):  # the innermost scope wins
            switched_off = layers.Dense(3)
        outside(X)  # called, not built, under the scope: no remat
    assert outside._remat_mode is None
    assert inside._remat_mode.mode == "full"
    assert switched_off._remat_mode.mode is None
    x = ops.convert_to_tensor(X)
    chosen = inside.rematerialized_call(inside.call, x)
    assert chosen.__wrapped__ == inside.call
    assert switched_off.rematerialized_call(switched_off.call, x) == switched_off.call
    assert_close(inside(x), X @ ops.convert_to_numpy(inside.kernel) + ops.convert_to_numpy(inside.bias))


def test_list_of_layers_larger_than_and_activations_select_their_layers():
    x = ops.convert_to_tensor(X)
    with kfacade.RematScope("list_of_layers", layer_names=["remat_listed"]):
        listed, unlisted = layers.Dense(3, name="remat_listed"), layers.Dense(3)
    # (4, 16) outputs have 64 entries, (4, 4) ones 16.
    with kfacade.RematScope("larger_than", output_size_threshold=30):
        large, small = layers.Dense(16), layers.Dense(4)
        no_shape_rule = _Doubled()  # (4, 16), found by running it on stand-ins
    with kfacade.RematScope("activations"):
        activated, linear = layers.Dense(3, activation="relu"), layers.Dropout(0.5)
    for layer, rematerialized in [(listed, True), (unlisted, False), (large, True),
                                  (small, False), (no_shape_rule, True), (linear, False)]:
        chosen = layer.rematerialized_call(layer.call, x)
        assert (getattr(chosen, "__wrapped__", None) == layer.call) is rematerialized, layer.name
        assert_close(layer(x), layer(x))  # the call itself runs (built now)
    # "activations" rematerializes only the activation, during the call.
    activated(x)  # built
    relu = activated.activation
    seen = []

    def recording_relu(t):
        seen.append(activated.activation)
        return relu(t)

    activated.activation = recording_relu
    out = activated.rematerialized_call(activated.call, x)(x)
    assert seen[0].__wrapped__ is recording_relu  # rematerialized during the call,
    assert activated.activation is recording_relu  # restored after it
    assert_close(out, np.maximum(X @ ops.convert_to_numpy(activated.kernel)
                                 + ops.convert_to_numpy(activated.bias), 0.0))


class _Doubled(layers.Layer):
    """A layer with no output-shape rule: "larger_than" infers its output size."""

    def call(self, inputs):
        return ops.concatenate([inputs, inputs], axis=-1)


def test_layers_holding_state_run_their_call_once():
    """A call that assigns state (a seed, moving statistics) is not recomputed:
    the stateful layer and the model holding it run plainly, the stateless
    layers built in the same scope are rematerialized."""
    x = ops.convert_to_tensor(X)
    with kfacade.RematScope("full"):
        dense, norm = layers.Dense(4), layers.BatchNormalization()
        model = kfacade.Sequential([kfacade.Input((8,)), dense, norm])
    for layer, rematerialized in [(dense, True), (norm, False), (model, False)]:
        chosen = layer.rematerialized_call(layer.call, x)
        assert (getattr(chosen, "__wrapped__", None) == layer.call) is rematerialized, layer.name
    moving_mean = ops.convert_to_numpy(norm.moving_mean)
    hidden = ops.convert_to_numpy(dense(x))
    model(x, training=True)
    expected = moving_mean * 0.99 + hidden.mean(axis=0) * 0.01
    assert_close(norm.moving_mean, expected, rtol=1e-5, atol=1e-6)


def _model(scope_mode):
    kfacade.utils.set_random_seed(3)
    with kfacade.RematScope(scope_mode) if scope_mode else contextlib.nullcontext():
        model = kfacade.Sequential([
            kfacade.Input((8,)), layers.Dense(16, activation="tanh"), layers.Dense(2)])
    # On TF, remat recomputes under XLA only (see backends/tensorflow/core.py).
    jit_compile = True if kfacade.backend.backend() == "tensorflow" else "auto"
    model.compile(optimizer=kfacade.optimizers.SGD(0.1), loss="mse", jit_compile=jit_compile)
    return model


def test_a_model_built_under_full_scope_trains_to_the_same_weights():
    plain, rematerialized = _model(None), _model("full")
    rematerialized.set_weights(plain.get_weights())
    assert all(layer._remat_mode.mode == "full" for layer in rematerialized.layers)
    for model in (plain, rematerialized):
        model.fit(X, Y, batch_size=2, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(plain.get_weights(), rematerialized.get_weights()):
        assert_close(b, a, rtol=1e-5, atol=1e-6)
    assert not np.allclose(plain.get_weights()[0], _model(None).get_weights()[0])  # it trained


def test_the_framework_checkpoint_is_used():
    """The adapter's checkpoint really runs: each framework's own evidence."""
    name = kfacade.backend.backend()
    with kfacade.RematScope("full"):
        rematerialized = layers.Dense(16, activation="tanh")
    plain = layers.Dense(16, activation="tanh")
    for layer in (plain, rematerialized):
        layer.build((4, 8))
    if name == "jax":
        import jax

        def primitives(layer):
            jaxpr = jax.make_jaxpr(jax.grad(lambda t: ops.sum(layer(t))))(X)
            return {eqn.primitive.name for eqn in jaxpr.eqns}

        assert not any("remat" in p or "checkpoint" in p for p in primitives(plain))
        assert any("remat" in p or "checkpoint" in p for p in primitives(rematerialized))
    elif name == "torch":
        import torch

        def saved_tensors(layer):
            count = [0]

            def pack(tensor):
                count[0] += 1
                return tensor

            x = torch.tensor(X, requires_grad=True)
            with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
                out = layer(x).sum()
            out.backward()
            return count[0], x.grad

        rematerialized.set_weights(plain.get_weights())
        (plain_count, plain_grad), (remat_count, remat_grad) = map(saved_tensors, (plain, rematerialized))
        assert remat_count < plain_count
        assert_close(remat_grad, plain_grad)
    elif name == "tensorflow":
        import tensorflow as tf

        def forward_tanh_ops(layer):
            # Under XLA: a plain tf.function graph runs the layer as it is
            # (see backends/tensorflow/core.py's remat).
            @tf.function(jit_compile=True)
            def grads(t):
                with tf.GradientTape() as tape:
                    out = tf.reduce_sum(layer(t))
                return tape.gradient(out, layer.kernel.handle)

            graph = grads.get_concrete_function(tf.TensorSpec((4, 8))).graph
            return sum(op.type == "Tanh" for op in graph.get_operations())

        # The backward pass recomputes the forward: its Tanh runs again.
        assert forward_tanh_ops(rematerialized) == forward_tanh_ops(plain) + 1
    else:
        pytest.skip(f"no checkpoint evidence is defined for the {name!r} adapter")
