"""Trains a simple deep multi-layer perceptron on the MNIST digits.

Keras's classic `mnist_mlp.py`: two hidden layers of 512 units with dropout,
RMSprop (here at a learning rate of 1e-4 in batches of 32, which trains
smoothly on the small stand-in too). On the real MNIST it reaches about 98%
test accuracy after 20 epochs. Offline (MNIST not in the cache) it trains on
the stand-in, the 1,797 digits bundled with scikit-learn upscaled to 28x28,
and reaches about 97-98%:

    python examples/mnist_mlp.py                 # real MNIST if cached, else the stand-in
    python examples/mnist_mlp.py --full          # real MNIST (downloads it once)
    KERAS_BACKEND=jax python examples/mnist_mlp.py --epochs 5
"""
import argparse
import time

import standins

import kfacade as keras
from kfacade import layers


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="download and use the real MNIST")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(1337)

    (x_train, y_train), (x_test, y_test), _ = standins.load("mnist", full=args.full)
    x_train = x_train.reshape(len(x_train), 784).astype("float32") / 255
    x_test = x_test.reshape(len(x_test), 784).astype("float32") / 255
    print(f"{len(x_train)} train samples, {len(x_test)} test samples")
    y_train = keras.utils.to_categorical(y_train, 10)
    y_test = keras.utils.to_categorical(y_test, 10)

    model = keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(512, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(512, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(10, activation="softmax"),
    ])
    model.summary()
    model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.RMSprop(learning_rate=args.learning_rate),
                  metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
              verbose=args.verbose, validation_data=(x_test, y_test))
    score = model.evaluate(x_test, y_test, verbose=0)
    print(f"Training time: {time.perf_counter() - start:.1f}s on {keras.backend.backend()}")
    print(f"Test loss: {score[0]:.4f}")
    print(f"Test accuracy: {score[1]:.4f}")
    return score[1]


if __name__ == "__main__":
    main()
