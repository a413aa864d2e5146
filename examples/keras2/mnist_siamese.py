"""Mirrors Keras 2's ``examples/mnist_siamese.py``: a siamese network trained on
pairs of digits with a contrastive loss.

Keras 2 API exercised: one base ``Model`` shared by two ``Input``s, a
``Lambda(euclidean_distance, output_shape=...)`` merging the two embeddings
with ``K.sqrt(K.maximum(K.sum(K.square(x - y), axis=1, keepdims=True),
K.epsilon()))``, a contrastive loss and an accuracy metric written with
``K.*`` (``K.square``, ``K.maximum``, ``K.mean``, ``K.equal``, ``K.cast``)
passed to ``compile``, ``fit([a, b], y)`` on two inputs, ``predict``.
Data: offline stand-in of ``mnist.load_data()``.
"""
from __future__ import absolute_import
from __future__ import print_function

import random

import numpy as np

from kfacade.models import Model
from kfacade.layers import Input, Flatten, Dense, Dropout, Lambda
from kfacade.optimizers import RMSprop
from kfacade import backend as K

import standin_data

num_classes = 10
epochs = 2


def euclidean_distance(vects):
    x, y = vects
    sum_square = K.sum(K.square(x - y), axis=1, keepdims=True)
    return K.sqrt(K.maximum(sum_square, K.epsilon()))


def eucl_dist_output_shape(shapes):
    shape1, shape2 = shapes
    return (shape1[0], 1)


def contrastive_loss(y_true, y_pred):
    """Hadsell et al. 2006: pull similar pairs together, push others past a margin."""
    margin = 1
    square_pred = K.square(y_pred)
    margin_square = K.square(K.maximum(margin - y_pred, 0))
    return K.mean(y_true * square_pred + (1 - y_true) * margin_square)


def create_pairs(x, digit_indices):
    """Alternates positive (same digit) and negative (different digit) pairs."""
    pairs = []
    labels = []
    n = min([len(digit_indices[d]) for d in range(num_classes)]) - 1
    for d in range(num_classes):
        for i in range(n):
            z1, z2 = digit_indices[d][i], digit_indices[d][i + 1]
            pairs += [[x[z1], x[z2]]]
            inc = random.randrange(1, num_classes)
            dn = (d + inc) % num_classes
            z1, z2 = digit_indices[d][i], digit_indices[dn][i]
            pairs += [[x[z1], x[z2]]]
            labels += [1, 0]
    return np.array(pairs), np.array(labels).astype('float32')


def create_base_network(input_shape):
    """The embedding network shared by both branches."""
    input = Input(shape=input_shape)
    x = Flatten()(input)
    x = Dense(64, activation='relu')(x)
    x = Dropout(0.1)(x)
    x = Dense(64, activation='relu')(x)
    return Model(input, x)


def compute_accuracy(y_true, y_pred):
    pred = y_pred.ravel() < 0.5
    return np.mean(pred == y_true)


def accuracy(y_true, y_pred):
    return K.mean(K.equal(y_true, K.cast(y_pred < 0.5, y_true.dtype)))


def main():
    random.seed(3)
    (x_train, y_train), (x_test, y_test) = standin_data.mnist_load_data(n=170, n_test=90)
    x_train = x_train.astype('float32') / 255
    x_test = x_test.astype('float32') / 255
    input_shape = x_train.shape[1:]

    digit_indices = [np.where(y_train == i)[0] for i in range(num_classes)]
    tr_pairs, tr_y = create_pairs(x_train, digit_indices)
    digit_indices = [np.where(y_test == i)[0] for i in range(num_classes)]
    te_pairs, te_y = create_pairs(x_test, digit_indices)

    base_network = create_base_network(input_shape)
    input_a = Input(shape=input_shape)
    input_b = Input(shape=input_shape)
    processed_a = base_network(input_a)
    processed_b = base_network(input_b)
    distance = Lambda(euclidean_distance,
                      output_shape=eucl_dist_output_shape)([processed_a, processed_b])
    model = Model([input_a, input_b], distance)

    rms = RMSprop()
    model.compile(loss=contrastive_loss, optimizer=rms, metrics=[accuracy])
    history = model.fit([tr_pairs[:, 0], tr_pairs[:, 1]], tr_y, batch_size=32, epochs=epochs,
                        verbose=2, validation_data=([te_pairs[:, 0], te_pairs[:, 1]], te_y))

    y_pred = model.predict([tr_pairs[:, 0], tr_pairs[:, 1]])
    tr_acc = compute_accuracy(tr_y, y_pred)
    y_pred = model.predict([te_pairs[:, 0], te_pairs[:, 1]])
    te_acc = compute_accuracy(te_y, y_pred)
    print('* Accuracy on training set: %0.2f%%' % (100 * tr_acc))
    print('* Accuracy on test set: %0.2f%%' % (100 * te_acc))
    return {'first_loss': history.history['loss'][0], 'last_loss': history.history['loss'][-1],
            'train_accuracy': tr_acc, 'test_accuracy': te_acc,
            'metric_accuracy': history.history['accuracy'][-1]}


if __name__ == '__main__':
    print(main())
