"""Generates text one character at a time with an LSTM.

Keras's classic `lstm_text_generation.py`: windows of 40 characters (every
3rd position; every position for a short text) are one-hot encoded, an LSTM of 128 units learns to predict
the next character, and text is sampled from its predictions at a few
temperatures. By default it learns the Zen of Python (the standard
library's `this` module, about 800 characters, no download); `--full`
learns Nietzsche's writings (600 KB, downloaded once), Keras's own corpus,
which takes about 20 epochs to produce plausible words:

    python examples/text_generation_lstm.py
    python examples/text_generation_lstm.py --full --epochs 20
"""
import argparse
import io
import time

import numpy as np
import standins

import kfacade as keras
from kfacade import layers

NIETZSCHE = "https://s3.amazonaws.com/text-datasets/nietzsche.txt"


def load_text(full):
    if full or standins.in_cache_file("nietzsche.txt"):
        path = keras.utils.get_file("nietzsche.txt", origin=NIETZSCHE)
        print(f"Data: Nietzsche's writings ({path}).", flush=True)
        with io.open(path, encoding="utf-8") as handle:
            return handle.read().lower()
    print("Data: the Zen of Python (the standard library's `this` module); --full "
          "downloads and learns Nietzsche's writings instead.", flush=True)
    return standins.zen_of_python()


def sample(predictions, temperature, rng):
    """An index drawn from `predictions` sharpened (<1) or flattened (>1) by `temperature`."""
    logits = np.log(np.asarray(predictions, "float64") + 1e-12) / temperature
    probabilities = np.exp(logits - logits.max())
    probabilities /= probabilities.sum()
    return int(rng.choice(len(probabilities), p=probabilities))


def generate(model, text, chars, seed_start, length, temperature, rng, maxlen):
    char_indices = {c: i for i, c in enumerate(chars)}
    sentence = text[seed_start: seed_start + maxlen]
    generated = ""
    for _ in range(length):
        x = np.zeros((1, maxlen, len(chars)), dtype="float32")
        for t, char in enumerate(sentence):
            x[0, t, char_indices[char]] = 1.0
        next_char = chars[sample(model.predict(x, verbose=0)[0], temperature, rng)]
        sentence = sentence[1:] + next_char
        generated += next_char
    return generated


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="download and learn Nietzsche")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--step", type=int, default=None,
                        help="characters between windows (default 3, 1 for the small Zen)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--length", type=int, default=200, help="characters generated")
    parser.add_argument("--temperatures", type=float, nargs="+", default=[0.2, 0.5, 1.0])
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(1337)

    text = load_text(args.full)
    chars = sorted(set(text))
    print(f"corpus length: {len(text)}, {len(chars)} distinct characters")
    # The Zen is short: a window at every character gives the LSTM enough to learn.
    maxlen, step = 40, args.step or (3 if len(text) > 100_000 else 1)
    sentences = [text[i: i + maxlen] for i in range(0, len(text) - maxlen, step)]
    next_chars = [text[i + maxlen] for i in range(0, len(text) - maxlen, step)]
    print(f"{len(sentences)} sequences")
    char_indices = {c: i for i, c in enumerate(chars)}
    x = np.zeros((len(sentences), maxlen, len(chars)), dtype="float32")
    y = np.zeros((len(sentences), len(chars)), dtype="float32")
    for i, sentence in enumerate(sentences):
        for t, char in enumerate(sentence):
            x[i, t, char_indices[char]] = 1.0
        y[i, char_indices[next_chars[i]]] = 1.0

    model = keras.Sequential([
        keras.Input(shape=(maxlen, len(chars))),
        layers.LSTM(128),
        layers.Dense(len(chars), activation="softmax"),
    ])
    model.summary()
    model.compile(loss="categorical_crossentropy",
                  optimizer=keras.optimizers.RMSprop(learning_rate=0.01))
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=args.batch_size, epochs=args.epochs,
                        verbose=args.verbose)
    print(f"Training time: {time.perf_counter() - start:.1f}s on {keras.backend.backend()}; "
          f"final loss {history.history['loss'][-1]:.4f}")

    rng = np.random.RandomState(1337)
    seed_start = rng.randint(0, len(text) - maxlen - 1)
    print(f"Seed: {text[seed_start: seed_start + maxlen]!r}")
    samples = {}
    for temperature in args.temperatures:
        samples[temperature] = generate(model, text, chars, seed_start, args.length,
                                        temperature, rng, maxlen)
        print(f"Generated (temperature {temperature}): {samples[temperature]!r}")
    return samples


if __name__ == "__main__":
    main()
