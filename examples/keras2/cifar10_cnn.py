"""Mirrors Keras 2's ``examples/cifar10_cnn.py``: a convnet on CIFAR-10 trained
from an augmenting ``ImageDataGenerator``.

Keras 2 API exercised: ``ImageDataGenerator(width_shift_range=...,
horizontal_flip=True, ...)``, ``datagen.fit(x_train)``,
``model.fit_generator(datagen.flow(x, y, batch_size=...),
steps_per_epoch=..., validation_data=..., workers=4)``, ``Conv2D(padding='same')``
with separate ``Activation`` layers, ``keras.optimizers.RMSprop(lr=..., decay=...)``
(Keras 2's argument names), ``evaluate``.
Data: offline stand-in of ``cifar10.load_data()`` (see ``standin_data.py``).
"""
from __future__ import print_function

import kfacade as keras
from kfacade.preprocessing.image import ImageDataGenerator
from kfacade.models import Sequential
from kfacade.layers import Dense, Dropout, Activation, Flatten
from kfacade.layers import Conv2D, MaxPooling2D

import standin_data

batch_size = 32
num_classes = 10
epochs = 2


def main():
    (x_train, y_train), (x_test, y_test) = standin_data.cifar10_load_data()
    print('x_train shape:', x_train.shape)
    y_train = keras.utils.to_categorical(y_train, num_classes)
    y_test = keras.utils.to_categorical(y_test, num_classes)

    model = Sequential()
    model.add(Conv2D(8, (3, 3), padding='same', input_shape=x_train.shape[1:]))
    model.add(Activation('relu'))
    model.add(Conv2D(8, (3, 3)))
    model.add(Activation('relu'))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Dropout(0.25))
    model.add(Conv2D(16, (3, 3), padding='same'))
    model.add(Activation('relu'))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Dropout(0.25))
    model.add(Flatten())
    model.add(Dense(64))
    model.add(Activation('relu'))
    model.add(Dropout(0.5))
    model.add(Dense(num_classes))
    model.add(Activation('softmax'))

    opt = keras.optimizers.RMSprop(lr=0.001, decay=1e-6)
    model.compile(loss='categorical_crossentropy', optimizer=opt, metrics=['accuracy'])

    x_train = x_train.astype('float32') / 255
    x_test = x_test.astype('float32') / 255

    datagen = ImageDataGenerator(
        featurewise_center=False,
        samplewise_center=False,
        featurewise_std_normalization=False,
        samplewise_std_normalization=False,
        zca_whitening=False,
        rotation_range=0,
        width_shift_range=0.1,
        height_shift_range=0.1,
        horizontal_flip=True,
        vertical_flip=False)
    datagen.fit(x_train)

    history = model.fit_generator(datagen.flow(x_train, y_train, batch_size=batch_size, seed=1),
                                  steps_per_epoch=x_train.shape[0] // batch_size,
                                  epochs=epochs, verbose=2,
                                  validation_data=(x_test, y_test), workers=4)
    scores = model.evaluate(x_test, y_test, verbose=0)
    print('Test loss:', scores[0])
    print('Test accuracy:', scores[1])
    return {'first_loss': history.history['loss'][0], 'test_loss': scores[0],
            'test_accuracy': scores[1]}


if __name__ == '__main__':
    print(main())
