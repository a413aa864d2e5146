"""Hand-written native equivalents of the benchmark models, one per framework.

Each builder returns functions over the framework's own tensors, written as
a user of that framework would write them: torch ``nn.Module`` with a plain
eager loop, TensorFlow ``tf.Module`` with a ``tf.function`` step, JAX
functions under ``jax.jit``. Weights are copied from the kfacade model so
both compute the same thing.
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
