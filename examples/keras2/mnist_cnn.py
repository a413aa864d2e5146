"""Mirrors Keras 2's ``examples/mnist_cnn.py``: a small convnet on MNIST.

Keras 2 API exercised: ``K.image_data_format()`` deciding the channel axis,
``Conv2D(32, kernel_size=(3, 3))``, ``MaxPooling2D(pool_size=(2, 2))``,
``Flatten``, ``Dropout``, ``keras.losses.categorical_crossentropy`` and
``keras.optimizers.Adadelta()`` passed as objects (Keras 2's
Adadelta defaulted to ``lr=1.0``, Keras 3's to 0.001: the stand-in only
checks that training runs), ``fit``/``evaluate``.
Data: offline stand-in of ``mnist.load_data()`` (see ``standin_data.py``).
"""
from __future__ import print_function

import kfacade as keras
from kfacade.models import Sequential
from kfacade.layers import Dense, Dropout, Flatten
from kfacade.layers import Conv2D, MaxPooling2D
from kfacade import backend as K

import standin_data

batch_size = 32
num_classes = 10
epochs = 2
img_rows, img_cols = 28, 28


def main():
    (x_train, y_train), (x_test, y_test) = standin_data.mnist_load_data(n=128, n_test=32)

    if K.image_data_format() == 'channels_first':
        x_train = x_train.reshape(x_train.shape[0], 1, img_rows, img_cols)
        x_test = x_test.reshape(x_test.shape[0], 1, img_rows, img_cols)
        input_shape = (1, img_rows, img_cols)
    else:
        x_train = x_train.reshape(x_train.shape[0], img_rows, img_cols, 1)
        x_test = x_test.reshape(x_test.shape[0], img_rows, img_cols, 1)
        input_shape = (img_rows, img_cols, 1)

    x_train = x_train.astype('float32') / 255
    x_test = x_test.astype('float32') / 255
    y_train = keras.utils.to_categorical(y_train, num_classes)
    y_test = keras.utils.to_categorical(y_test, num_classes)

    model = Sequential()
    model.add(Conv2D(8, kernel_size=(3, 3), activation='relu', input_shape=input_shape))
    model.add(Conv2D(16, (3, 3), activation='relu'))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Dropout(0.25))
    model.add(Flatten())
    model.add(Dense(32, activation='relu'))
    model.add(Dropout(0.5))
    model.add(Dense(num_classes, activation='softmax'))

    model.compile(loss=keras.losses.categorical_crossentropy,
                  optimizer=keras.optimizers.Adadelta(),
                  metrics=['accuracy'])
    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=2,
                        validation_data=(x_test, y_test))
    score = model.evaluate(x_test, y_test, verbose=0)
    print('Test loss:', score[0])
    print('Test accuracy:', score[1])
    return {'first_loss': history.history['loss'][0], 'test_loss': score[0],
            'test_accuracy': score[1]}


if __name__ == '__main__':
    print(main())
