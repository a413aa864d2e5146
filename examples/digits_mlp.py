"""Trains the classic Keras MLP recipe on real handwritten digits.

The data are scikit-learn's bundled 8x8 digits (1,797 real scans, no
download). Run on any backend:

    KERAS_BACKEND=torch python examples/digits_mlp.py

The script is written as a Keras 2 user would write it; only the import
changes.
"""
import argparse
import time

import kfacade as keras
from kfacade.datasets import digits
from kfacade.layers import Dense, Dropout
from kfacade.models import Sequential
from kfacade.optimizers import RMSprop
from kfacade.utils import set_random_seed, to_categorical


def main(epochs=20, batch_size=64, verbose=2):
    set_random_seed(1337)
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train = x_train.reshape(len(x_train), 64).astype("float32") / 16.0
    x_test = x_test.reshape(len(x_test), 64).astype("float32") / 16.0
    y_train, y_test = to_categorical(y_train, 10), to_categorical(y_test, 10)

    model = Sequential()
    model.add(Dense(512, activation="relu", input_shape=(64,)))
    model.add(Dropout(0.2))
    model.add(Dense(512, activation="relu"))
    model.add(Dropout(0.2))
    model.add(Dense(10, activation="softmax"))
    model.summary()
    model.compile(loss="categorical_crossentropy", optimizer=RMSprop(), metrics=["accuracy"])

    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=verbose,
              validation_data=(x_test, y_test))
    seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"backend={keras.backend.backend()} test_loss={loss:.4f} test_accuracy={accuracy:.4f} "
          f"train_seconds={seconds:.1f}")
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args()
    main(args.epochs, args.batch_size, args.verbose)
