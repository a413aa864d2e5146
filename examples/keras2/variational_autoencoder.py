"""Mirrors Keras 2's ``examples/variational_autoencoder.py`` (Keras 2.0/2.1 form):
a VAE on MNIST whose loss is added by a custom layer.

Keras 2 API exercised: a sampling ``Lambda(sampling, output_shape=(latent_dim,))``
drawing ``K.random_normal(shape=(K.shape(z_mean)[0], latent_dim))``; a custom
``Layer`` whose ``call`` computes the reconstruction + KL loss with
``keras.metrics.binary_crossentropy``, ``K.square``/``K.exp``/``K.sum``/``K.mean``
and registers it with ``self.add_loss(loss, inputs=inputs)``;
``compile(optimizer='rmsprop', loss=None)``, ``fit(x_train, shuffle=True,
validation_data=(x_test, None))`` with no targets; a separate encoder
``Model`` and a generator ``Model`` built from the trained layers.
The loss layer takes ``z_mean`` and ``z_log_var`` as inputs (the 2.0 original
closed over them as graph tensors, which only TensorFlow 1's graph mode allows).
Data: offline stand-in of ``mnist.load_data()``.
"""
from __future__ import print_function

import numpy as np

from kfacade.layers import Input, Dense, Lambda, Layer
from kfacade.models import Model
from kfacade import backend as K
from kfacade import metrics

import standin_data

batch_size = 32
original_dim = 784
latent_dim = 2
intermediate_dim = 64
epochs = 2
epsilon_std = 1.0


def main():
    x = Input(shape=(original_dim,))
    h = Dense(intermediate_dim, activation='relu')(x)
    z_mean = Dense(latent_dim)(h)
    z_log_var = Dense(latent_dim)(h)

    def sampling(args):
        z_mean, z_log_var = args
        epsilon = K.random_normal(shape=(K.shape(z_mean)[0], latent_dim), mean=0.,
                                  stddev=epsilon_std)
        return z_mean + K.exp(z_log_var / 2) * epsilon

    z = Lambda(sampling, output_shape=(latent_dim,))([z_mean, z_log_var])

    decoder_h = Dense(intermediate_dim, activation='relu')
    decoder_mean = Dense(original_dim, activation='sigmoid')
    h_decoded = decoder_h(z)
    x_decoded_mean = decoder_mean(h_decoded)

    class CustomVariationalLayer(Layer):
        """Adds the VAE loss of ``[x, x_decoded_mean, z_mean, z_log_var]``; returns ``x``."""

        def __init__(self, **kwargs):
            self.is_placeholder = True
            super(CustomVariationalLayer, self).__init__(**kwargs)

        def vae_loss(self, x, x_decoded_mean, z_mean, z_log_var):
            xent_loss = original_dim * metrics.binary_crossentropy(x, x_decoded_mean)
            kl_loss = - 0.5 * K.sum(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)
            return K.mean(xent_loss + kl_loss)

        def call(self, inputs):
            x, x_decoded_mean, z_mean, z_log_var = inputs
            loss = self.vae_loss(x, x_decoded_mean, z_mean, z_log_var)
            self.add_loss(loss, inputs=inputs)
            return x

    y = CustomVariationalLayer()([x, x_decoded_mean, z_mean, z_log_var])
    vae = Model(x, y)
    vae.compile(optimizer='rmsprop', loss=None)

    (x_train, y_train), (x_test, y_test) = standin_data.mnist_load_data()
    x_train = x_train.astype('float32') / 255.
    x_test = x_test.astype('float32') / 255.
    x_train = x_train.reshape((len(x_train), np.prod(x_train.shape[1:])))
    x_test = x_test.reshape((len(x_test), np.prod(x_test.shape[1:])))

    history = vae.fit(x_train, shuffle=True, epochs=epochs, batch_size=batch_size, verbose=2,
                      validation_data=(x_test, None))

    encoder = Model(x, z_mean)
    x_test_encoded = encoder.predict(x_test, batch_size=batch_size)

    decoder_input = Input(shape=(latent_dim,))
    _h_decoded = decoder_h(decoder_input)
    _x_decoded_mean = decoder_mean(_h_decoded)
    generator = Model(decoder_input, _x_decoded_mean)
    z_sample = np.array([[0.5, -0.5]])
    x_decoded = generator.predict(z_sample)
    digit = x_decoded[0].reshape(28, 28)
    return {'first_loss': history.history['loss'][0], 'last_loss': history.history['loss'][-1],
            'val_loss': history.history['val_loss'][-1],
            'encoded_std': float(np.std(x_test_encoded)), 'digit_mean': float(digit.mean())}


if __name__ == '__main__':
    print(main())
