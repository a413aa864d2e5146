"""Trains a simple convolutional network on the MNIST digits.

Keras's "simple MNIST convnet": two convolution + max-pooling blocks,
dropout, a softmax classifier, Adam, in batches of 32. On the real MNIST it
reaches about 99% test accuracy after 8 epochs. Offline (MNIST not in the
cache) it trains on the stand-in, the 1,797 digits bundled with scikit-learn
upscaled to 28x28, and reaches about 96-97%:

    python examples/mnist_cnn.py                 # real MNIST if cached, else the stand-in
    python examples/mnist_cnn.py --full          # real MNIST (downloads it once)
"""
import argparse
import time

import numpy as np
import standins

import kfacade as keras
from kfacade import layers


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="download and use the real MNIST")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(1337)

    (x_train, y_train), (x_test, y_test), _ = standins.load("mnist", full=args.full)
    # Scale to [0, 1] and add the channel axis: (n, 28, 28, 1).
    x_train = np.expand_dims(x_train.astype("float32") / 255, -1)
    x_test = np.expand_dims(x_test.astype("float32") / 255, -1)
    print(f"x_train shape: {x_train.shape}; {len(x_train)} train, {len(x_test)} test samples")
    y_train = keras.utils.to_categorical(y_train, 10)
    y_test = keras.utils.to_categorical(y_test, 10)

    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    model.summary()
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
              verbose=args.verbose, validation_split=0.1)
    score = model.evaluate(x_test, y_test, verbose=0)
    print(f"Training time: {time.perf_counter() - start:.1f}s on {keras.backend.backend()}")
    print(f"Test loss: {score[0]:.4f}")
    print(f"Test accuracy: {score[1]:.4f}")
    return score[1]


if __name__ == "__main__":
    main()
