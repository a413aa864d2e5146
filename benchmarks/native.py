"""Hand-written native equivalents of the benchmark models, one per framework.

Each builder returns functions over the framework's own tensors, written as
a user of that framework would write them: torch ``nn.Module`` with a plain
eager loop, TensorFlow ``tf.Module`` with a ``tf.function`` step, JAX
functions under ``jax.jit``. Weights are copied from the kfacade model so
both compute the same thing.

Models: the MLP (``BUILDERS``), the LSTM(128) regressor (``LSTM_BUILDERS``:
``torch.nn.LSTM``; ``tf.scan`` of the cell in a ``tf.function``;
``jax.lax.scan`` of the cell under ``jax.jit``; MSE, RMSprop) and the small
mnist CNN (``CNN_BUILDERS``: ``torch.nn.Conv2d`` on NCHW data;
``tf.nn.conv2d``; ``lax.conv_general_dilated``; sparse cross-entropy from
logits, RMSprop). Every RMSprop is Keras's: rho 0.9, epsilon 1e-7, no momentum.
"""
import numpy as np


def torch_mlp(weights, dropout, learning_rate):
    import torch

    layers = []
    for i in range(0, len(weights), 2):
        linear = torch.nn.Linear(*weights[i].shape)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(weights[i].T.copy()))
            linear.bias.copy_(torch.from_numpy(weights[i + 1]))
        layers.append(linear)
        if i + 2 < len(weights):
            layers.append(torch.nn.ReLU())
            if dropout:
                layers.append(torch.nn.Dropout(dropout))
    module = torch.nn.Sequential(*layers)
    optimizer = torch.optim.RMSprop(module.parameters(), lr=learning_rate, alpha=0.9, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()

    def train_step(x, y):
        x, y = torch.from_numpy(x), torch.from_numpy(y)
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(module(x), y)
        loss.backward()
        optimizer.step()
        return loss

    def infer(x):
        with torch.no_grad():
            return module(torch.from_numpy(x)).softmax(-1).numpy()

    def eager_call(x):
        return module(x)

    module.train()
    return {"train_step": train_step, "predict": lambda x: (module.eval(), infer(x))[1],
            "eager_call": eager_call, "to_native": torch.from_numpy,
            "sync": lambda value: float(value)}


def tensorflow_mlp(weights, dropout, learning_rate):
    import tensorflow as tf

    variables = [tf.Variable(w) for w in weights]
    optimizer_slots = [tf.Variable(tf.zeros_like(w)) for w in weights]

    def forward(x, training):
        for i in range(0, len(variables), 2):
            x = tf.matmul(x, variables[i]) + variables[i + 1]
            if i + 2 < len(variables):
                x = tf.nn.relu(x)
                if training and dropout:
                    x = tf.nn.dropout(x, dropout)
        return x

    @tf.function(reduce_retracing=True)
    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = forward(x, True)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits))
        grads = tape.gradient(loss, variables)
        for v, g, s in zip(variables, grads, optimizer_slots):  # RMSprop, rho 0.9
            s.assign(0.9 * s + 0.1 * tf.square(g))
            v.assign_sub(learning_rate * g / (tf.sqrt(s) + 1e-7))
        return loss

    @tf.function(reduce_retracing=True)
    def infer(x):
        return tf.nn.softmax(forward(x, False))

    return {"train_step": train_step, "predict": lambda x: infer(x).numpy(),
            "eager_call": lambda x: forward(x, False), "to_native": tf.convert_to_tensor,
            "sync": lambda value: float(value)}


def jax_mlp(weights, dropout, learning_rate):
    import jax
    import jax.numpy as jnp

    params = [jnp.asarray(w) for w in weights]
    slots = [jnp.zeros_like(w) for w in weights]

    def forward(params, x, key, training):
        for i in range(0, len(params), 2):
            x = x @ params[i] + params[i + 1]
            if i + 2 < len(params):
                x = jax.nn.relu(x)
                if training and dropout:
                    key, sub = jax.random.split(key)
                    keep = jax.random.bernoulli(sub, 1 - dropout, x.shape)
                    x = jnp.where(keep, x / (1 - dropout), 0)
        return x

    def loss_fn(params, x, y, key):
        logits = forward(params, x, key, True)
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], axis=1))

    @jax.jit
    def step(params, slots, x, y, key):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y, key)
        slots = [0.9 * s + 0.1 * g * g for s, g in zip(slots, grads)]
        params = [p - learning_rate * g / (jnp.sqrt(s) + 1e-7) for p, g, s in zip(params, grads, slots)]
        return params, slots, loss

    state = {"params": params, "slots": slots, "key": jax.random.PRNGKey(0)}

    def train_step(x, y):
        state["key"], sub = jax.random.split(state["key"])
        state["params"], state["slots"], loss = step(state["params"], state["slots"], x, y, sub)
        return loss

    infer = jax.jit(lambda params, x: jax.nn.softmax(forward(params, x, None, False)))
    return {"train_step": train_step, "predict": lambda x: np.asarray(infer(state["params"], x)),
            "eager_call": lambda x: forward(state["params"], x, None, False),
            "to_native": jnp.asarray, "sync": lambda value: float(value)}


BUILDERS = {"torch": torch_mlp, "tensorflow": tensorflow_mlp, "jax": jax_mlp}


# ------------------------------------------------------------------ LSTM(128)
# Weights: kernel (in, 4u), recurrent_kernel (u, 4u), bias (4u,), dense kernel
# (u, 1), dense bias (1,), Keras's gate order i, f, c, o.


def torch_lstm(weights, learning_rate):
    import torch

    kernel, recurrent_kernel, bias, dense_kernel, dense_bias = weights
    units = recurrent_kernel.shape[0]

    class Regressor(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(kernel.shape[0], units, batch_first=True)
            self.dense = torch.nn.Linear(units, 1)

        def forward(self, x):
            outputs, _ = self.lstm(x)
            return self.dense(outputs[:, -1])

    module = Regressor()
    with torch.no_grad():  # torch's gates i, f, g, o are Keras's i, f, c, o
        module.lstm.weight_ih_l0.copy_(torch.from_numpy(kernel.T.copy()))
        module.lstm.weight_hh_l0.copy_(torch.from_numpy(recurrent_kernel.T.copy()))
        module.lstm.bias_ih_l0.copy_(torch.from_numpy(bias))
        module.lstm.bias_hh_l0.zero_()
        module.dense.weight.copy_(torch.from_numpy(dense_kernel.T.copy()))
        module.dense.bias.copy_(torch.from_numpy(dense_bias))
    return _torch_trainer(module, torch.nn.MSELoss(), learning_rate, torch.from_numpy)


def _torch_trainer(module, loss_fn, learning_rate, to_native_y):
    import torch

    optimizer = torch.optim.RMSprop(module.parameters(), lr=learning_rate, alpha=0.9, eps=1e-7)
    module.train()

    def train_step(x, y):
        x, y = torch.from_numpy(x), to_native_y(y)
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(module(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return {"train_step": train_step, "sync": lambda value: float(value)}


def _tf_rmsprop_step(variables, learning_rate, loss_of):
    """A ``tf.function`` train step: ``loss_of(x, y)`` differentiated, then RMSprop."""
    import tensorflow as tf

    slots = [tf.Variable(tf.zeros_like(v)) for v in variables]

    @tf.function(reduce_retracing=True)
    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_of(x, y)
        grads = tape.gradient(loss, variables)
        for v, g, s in zip(variables, grads, slots):
            s.assign(0.9 * s + 0.1 * tf.square(g))
            v.assign_sub(learning_rate * g / (tf.sqrt(s) + 1e-7))
        return loss

    return {"train_step": train_step, "sync": lambda value: float(value)}


def tensorflow_lstm(weights, learning_rate):
    import tensorflow as tf

    variables = [tf.Variable(w) for w in weights]
    kernel, recurrent_kernel, bias, dense_kernel, dense_bias = variables
    units = weights[1].shape[0]

    def cell(carry, x_t):
        h, c = carry
        z = tf.matmul(x_t, kernel) + tf.matmul(h, recurrent_kernel) + bias
        z_i, z_f, z_c, z_o = tf.split(z, 4, axis=-1)
        c = tf.sigmoid(z_f) * c + tf.sigmoid(z_i) * tf.tanh(z_c)
        h = tf.sigmoid(z_o) * tf.tanh(c)
        return h, c

    def loss_of(x, y):
        zeros = tf.zeros((tf.shape(x)[0], units))
        hs, _ = tf.scan(cell, tf.transpose(x, (1, 0, 2)), initializer=(zeros, zeros))
        prediction = tf.matmul(hs[-1], dense_kernel) + dense_bias
        return tf.reduce_mean(tf.square(prediction - y))

    return _tf_rmsprop_step(variables, learning_rate, loss_of)


def _jax_rmsprop_trainer(weights, learning_rate, loss_fn, needs_key=False):
    """A jitted train step of ``loss_fn(params, x, y[, key])`` with RMSprop."""
    import jax
    import jax.numpy as jnp

    @jax.jit
    def step(params, slots, x, y, key):
        args = (params, x, y, key) if needs_key else (params, x, y)
        loss, grads = jax.value_and_grad(loss_fn)(*args)
        slots = [0.9 * s + 0.1 * g * g for s, g in zip(slots, grads)]
        params = [p - learning_rate * g / (jnp.sqrt(s) + 1e-7) for p, g, s in zip(params, grads, slots)]
        return params, slots, loss

    state = {"params": [jnp.asarray(w) for w in weights],
             "slots": [jnp.zeros_like(jnp.asarray(w)) for w in weights],
             "key": jax.random.PRNGKey(0)}

    def train_step(x, y):
        state["key"], sub = jax.random.split(state["key"])
        state["params"], state["slots"], loss = step(state["params"], state["slots"], x, y, sub)
        return loss

    return {"train_step": train_step, "sync": lambda value: float(value)}


def jax_lstm(weights, learning_rate):
    import jax
    import jax.numpy as jnp

    units = weights[1].shape[0]

    def loss_fn(params, x, y):
        kernel, recurrent_kernel, bias, dense_kernel, dense_bias = params

        def cell(carry, x_t):
            h, c = carry
            z = x_t @ kernel + h @ recurrent_kernel + bias
            z_i, z_f, z_c, z_o = jnp.split(z, 4, axis=-1)
            c = jax.nn.sigmoid(z_f) * c + jax.nn.sigmoid(z_i) * jnp.tanh(z_c)
            h = jax.nn.sigmoid(z_o) * jnp.tanh(c)
            return (h, c), None

        zeros = jnp.zeros((x.shape[0], units), x.dtype)
        (h, _), _ = jax.lax.scan(cell, (zeros, zeros), jnp.transpose(x, (1, 0, 2)))
        return jnp.mean(jnp.square(h @ dense_kernel + dense_bias - y))

    return _jax_rmsprop_trainer(weights, learning_rate, loss_fn)


LSTM_BUILDERS = {"torch": torch_lstm, "tensorflow": tensorflow_lstm, "jax": jax_lstm}


# ------------------------------------------------------------------------ CNN
# Conv2D(32, 3, relu) - Conv2D(64, 3, relu) - MaxPool2D - Dropout(0.25) - Flatten
# - Dense(128, relu) - Dropout(0.5) - Dense(10); weights in Keras's layouts
# (conv kernels HWIO, NHWC data, Flatten in (h, w, c) order).


def torch_cnn(weights, learning_rate):
    """On NCHW data (``to_native_x`` converts the benchmark's NHWC batches once)."""
    import torch
    from torch import nn

    conv1, conv1_bias, conv2, conv2_bias, dense1, dense1_bias, dense2, dense2_bias = weights
    module = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Dropout(0.25), nn.Flatten(), nn.Linear(dense1.shape[0], 128), nn.ReLU(),
        nn.Dropout(0.5), nn.Linear(128, 10))
    # Keras flattens (h, w, c); torch (c, h, w): permute the rows of the first dense kernel.
    side = int(round((dense1.shape[0] // 64) ** 0.5))
    dense1_chw = dense1.reshape(side, side, 64, -1).transpose(2, 0, 1, 3).reshape(dense1.shape)
    with torch.no_grad():
        for layer, kernel, bias in ((module[0], conv1, conv1_bias), (module[2], conv2, conv2_bias)):
            layer.weight.copy_(torch.from_numpy(kernel.transpose(3, 2, 0, 1).copy()))
            layer.bias.copy_(torch.from_numpy(bias))
        for layer, kernel, bias in ((module[7], dense1_chw, dense1_bias), (module[10], dense2, dense2_bias)):
            layer.weight.copy_(torch.from_numpy(kernel.T.copy()))
            layer.bias.copy_(torch.from_numpy(bias))
    trainer = _torch_trainer(module, nn.CrossEntropyLoss(), learning_rate, torch.from_numpy)
    trainer["to_native_x"] = lambda x: x.transpose(0, 3, 1, 2).copy()
    return trainer


def tensorflow_cnn(weights, learning_rate):
    import tensorflow as tf

    variables = [tf.Variable(w) for w in weights]
    conv1, conv1_bias, conv2, conv2_bias, dense1, dense1_bias, dense2, dense2_bias = variables

    def loss_of(x, y):
        x = tf.nn.relu(tf.nn.conv2d(x, conv1, 1, "VALID") + conv1_bias)
        x = tf.nn.relu(tf.nn.conv2d(x, conv2, 1, "VALID") + conv2_bias)
        x = tf.nn.dropout(tf.nn.max_pool2d(x, 2, 2, "VALID"), 0.25)
        x = tf.reshape(x, (tf.shape(x)[0], -1))
        x = tf.nn.dropout(tf.nn.relu(tf.matmul(x, dense1) + dense1_bias), 0.5)
        logits = tf.matmul(x, dense2) + dense2_bias
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits))

    return _tf_rmsprop_step(variables, learning_rate, loss_of)


def jax_cnn(weights, learning_rate):
    import jax
    import jax.numpy as jnp
    from jax import lax

    def dropout(x, rate, key):
        keep = jax.random.bernoulli(key, 1 - rate, x.shape)
        return jnp.where(keep, x / (1 - rate), 0)

    def conv(x, kernel, bias):
        return jax.nn.relu(lax.conv_general_dilated(
            x, kernel, (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC")) + bias)

    def loss_fn(params, x, y, key):
        conv1, conv1_bias, conv2, conv2_bias, dense1, dense1_bias, dense2, dense2_bias = params
        key1, key2 = jax.random.split(key)
        x = conv(conv(x, conv1, conv1_bias), conv2, conv2_bias)
        x = lax.reduce_window(x, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
        x = dropout(x, 0.25, key1).reshape(x.shape[0], -1)
        x = dropout(jax.nn.relu(x @ dense1 + dense1_bias), 0.5, key2)
        logits = x @ dense2 + dense2_bias
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], axis=1))

    return _jax_rmsprop_trainer(weights, learning_rate, loss_fn, needs_key=True)


CNN_BUILDERS = {"torch": torch_cnn, "tensorflow": tensorflow_cnn, "jax": jax_cnn}
