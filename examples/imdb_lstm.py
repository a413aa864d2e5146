"""Trains an LSTM on the IMDB sentiment classification task.

Keras's classic `imdb_lstm.py`: reviews cut to their last 80 words, an
embedding of 128, an LSTM of 128 units with dropout, a sigmoid output. On
the real IMDB it reaches about 83% test accuracy after 2-3 epochs (the
model overfits after that). Offline (IMDB not in the cache) it trains on
synthetic sentiment sequences, where positive and negative words are a
little more frequent in positive and negative reviews:

    python examples/imdb_lstm.py                  # real IMDB if cached, else the stand-in
    python examples/imdb_lstm.py --full           # real IMDB (downloads it once)
"""
import argparse
import time

import standins

import kfacade as keras
from kfacade import layers


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="download and use the real IMDB")
    parser.add_argument("--max-features", type=int, default=20000,
                        help="vocabulary: the most frequent words kept")
    parser.add_argument("--maxlen", type=int, default=80, help="words kept per review")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--train-samples", type=int, default=None,
                        help="train on the first N reviews only (quick runs)")
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(1337)

    (x_train, y_train), (x_test, y_test), _ = standins.load(
        "imdb", full=args.full, num_words=args.max_features)
    if args.train_samples:
        x_train, y_train = x_train[:args.train_samples], y_train[:args.train_samples]
    print(f"{len(x_train)} train sequences, {len(x_test)} test sequences")
    x_train = keras.utils.pad_sequences(x_train, maxlen=args.maxlen)
    x_test = keras.utils.pad_sequences(x_test, maxlen=args.maxlen)
    print(f"x_train shape: {x_train.shape}")

    model = keras.Sequential([
        keras.Input(shape=(None,), dtype="int32"),
        layers.Embedding(args.max_features, 128),
        layers.LSTM(128, dropout=0.2),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.summary()
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
              validation_data=(x_test, y_test), verbose=args.verbose)
    score = model.evaluate(x_test, y_test, batch_size=args.batch_size, verbose=0)
    print(f"Training time: {time.perf_counter() - start:.1f}s on {keras.backend.backend()}")
    print(f"Test loss: {score[0]:.4f}")
    print(f"Test accuracy: {score[1]:.4f}")
    return score[1]


if __name__ == "__main__":
    main()
