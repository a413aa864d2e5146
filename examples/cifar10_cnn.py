"""Trains a small convolutional network on CIFAR-10 with real-time data augmentation.

Keras's classic `cifar10_cnn.py`: two blocks of two convolutions, max-pooling
and dropout, a dense layer of 512, RMSprop; the images are shifted and
flipped on the fly by `ImageDataGenerator`. On the real CIFAR-10 it reaches
about 75% test accuracy after 50 epochs (`--full --epochs 50`). Offline
(CIFAR-10 not in the cache) it trains on a stand-in of coloured shapes:

    python examples/cifar10_cnn.py                # real CIFAR-10 if cached, else the stand-in
    python examples/cifar10_cnn.py --full --epochs 50
"""
import argparse
import time

import standins

import kfacade as keras
from kfacade import layers
from kfacade.preprocessing.image import ImageDataGenerator


def build_model(input_shape, num_classes):
    return keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Conv2D(32, (3, 3), padding="same", activation="relu"),
        layers.Conv2D(32, (3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Dropout(0.25),
        layers.Conv2D(64, (3, 3), padding="same", activation="relu"),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(512, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="download and use the real CIFAR-10")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--train-samples", type=int, default=None,
                        help="train on the first N images only (quick runs)")
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(1337)

    (x_train, y_train), (x_test, y_test), _ = standins.load("cifar10", full=args.full)
    if args.train_samples:
        x_train, y_train = x_train[:args.train_samples], y_train[:args.train_samples]
    print(f"x_train shape: {x_train.shape}; {len(x_train)} train, {len(x_test)} test samples")
    y_train = keras.utils.to_categorical(y_train, 10)
    y_test = keras.utils.to_categorical(y_test, 10)
    x_train = x_train.astype("float32") / 255
    x_test = x_test.astype("float32") / 255

    model = build_model(x_train.shape[1:], 10)
    model.summary()
    model.compile(loss="categorical_crossentropy",
                  optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
                  metrics=["accuracy"])

    # Real-time augmentation: each batch is shifted by up to 10% and flipped
    # left-right at random, so no epoch sees the same images twice.
    datagen = ImageDataGenerator(width_shift_range=0.1, height_shift_range=0.1,
                                 horizontal_flip=True, fill_mode="nearest")
    start = time.perf_counter()
    model.fit(datagen.flow(x_train, y_train, batch_size=args.batch_size, seed=1337),
              epochs=args.epochs, validation_data=(x_test, y_test), verbose=args.verbose)
    score = model.evaluate(x_test, y_test, verbose=0)
    print(f"Training time: {time.perf_counter() - start:.1f}s on {keras.backend.backend()}")
    print(f"Test loss: {score[0]:.4f}")
    print(f"Test accuracy: {score[1]:.4f}")
    return score[1]


if __name__ == "__main__":
    main()
