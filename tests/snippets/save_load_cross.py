"""Run per backend by tests/test_cross_backend.py: saves one model of the main
layer families in the three formats (".keras", ".h5", ".weights.h5") under
``<root>/<backend>/``, and loads the files other backends saved there, writing
their predictions to ``<root>/<backend>_loaded_<from>.npz``.

Usage: ``python save_load_cross.py ROOT [--save] [--load FROM ...]``.
"""
import os
import sys

import numpy as np

import kfacade as keras
from kfacade import layers as L


def build_model():
    """Dense, Conv1D, pooling, BatchNormalization, Embedding, LSTM, GRU,
    Bidirectional, MultiHeadAttention, LayerNormalization, Dropout, Add,
    Concatenate and a nested Sequential, on two inputs."""
    tokens = keras.Input((6,), dtype="int32", name="tokens")
    series = keras.Input((6, 3), name="series")
    x = L.Embedding(12, 4)(tokens)
    y = L.Conv1D(4, 3, padding="same", activation="relu")(series)
    y = L.MaxPooling1D(2, padding="same", strides=1)(y)
    y = L.BatchNormalization()(y)
    x = L.Add()([x, y])
    x = L.LSTM(5, return_sequences=True)(x)
    x = L.Bidirectional(L.GRU(3, return_sequences=True))(x)
    x = L.MultiHeadAttention(2, 3)(x, x)
    x = L.LayerNormalization()(x)
    x = L.Dropout(0.2)(x)
    pooled = L.Concatenate()([L.GlobalAveragePooling1D()(x), L.GlobalMaxPooling1D()(x)])
    head = keras.Sequential([L.Dense(6, activation="tanh"), L.Dense(2)], name="head")
    return keras.Model([tokens, series], head(pooled))


def inputs():
    rng = np.random.default_rng(7)
    return [rng.integers(0, 12, size=(4, 6)).astype("int32"),
            rng.normal(size=(4, 6, 3)).astype("float32")]


def save(folder):
    keras.utils.set_random_seed(3)
    model = build_model()
    # Every weight random (BatchNorm's statistics and LayerNorm's scale included);
    # the variances positive.
    rng = np.random.default_rng(3)
    model.set_weights([np.abs(rng.normal(size=w.shape)).astype(w.dtype) + 0.5
                       if "variance" in getattr(v, "path", v.name)
                       else (0.5 * rng.normal(size=w.shape)).astype(w.dtype)
                       for v, w in zip(model.weights, model.get_weights())])
    xs = inputs()
    os.makedirs(folder, exist_ok=True)
    model.save(os.path.join(folder, "model.keras"))
    model.save(os.path.join(folder, "model.h5"))
    model.save_weights(os.path.join(folder, "model.weights.h5"))
    np.save(os.path.join(folder, "predictions.npy"), model.predict(xs, verbose=0))


def load(folder, out_path):
    xs = inputs()
    results = {"saved": np.load(os.path.join(folder, "predictions.npy"))}
    for name in ("keras", "h5"):
        model = keras.models.load_model(os.path.join(folder, f"model.{name}"))
        results[name] = model.predict(xs, verbose=0)
    model = build_model()
    model.load_weights(os.path.join(folder, "model.weights.h5"))
    results["weights.h5"] = model.predict(xs, verbose=0)
    np.savez(out_path, **results)


if __name__ == "__main__":
    root, args = sys.argv[1], sys.argv[2:]
    backend = keras.backend.backend()
    if "--save" in args:
        save(os.path.join(root, backend))
    if "--load" in args:
        for source in args[args.index("--load") + 1:]:
            load(os.path.join(root, source), os.path.join(root, f"{backend}_loaded_{source}.npz"))
