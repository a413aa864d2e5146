"""Mirrors Keras 2's ``examples/lstm_seq2seq.py``: a character-level encoder-decoder
with teacher forcing, then greedy decoding with separate inference models.

Keras 2 API exercised: ``Input(shape=(None, num_tokens))``,
``LSTM(latent_dim, return_state=True)`` unpacked into ``outputs, state_h,
state_c``, a decoder ``LSTM(return_sequences=True, return_state=True)`` called
with ``initial_state=encoder_states``, a two-input ``Model`` trained with
``fit([encoder_input_data, decoder_input_data], decoder_target_data,
validation_split=0.2)``; inference models sharing the trained layers
(``Model(encoder_inputs, encoder_states)`` and a decoder ``Model`` whose state
inputs are ``Input(shape=(latent_dim,))``) driven step by step with ``predict``.
Data: generated in the program: each "translation" is the reversed input word.
"""
from __future__ import print_function

import numpy as np

from kfacade.models import Model
from kfacade.layers import Input, LSTM, Dense

batch_size = 32
epochs = 2
latent_dim = 32
num_samples = 160


def main():
    rng = np.random.RandomState(5)
    letters = list('abcdef')
    input_texts = [''.join(rng.choice(letters, size=rng.randint(3, 7)))
                   for _ in range(num_samples)]
    target_texts = ['\t' + text[::-1] + '\n' for text in input_texts]
    input_characters = sorted(set(''.join(input_texts)))
    target_characters = sorted(set(''.join(target_texts)))
    num_encoder_tokens = len(input_characters)
    num_decoder_tokens = len(target_characters)
    max_encoder_seq_length = max([len(txt) for txt in input_texts])
    max_decoder_seq_length = max([len(txt) for txt in target_texts])
    print('Number of samples:', len(input_texts))

    input_token_index = dict([(char, i) for i, char in enumerate(input_characters)])
    target_token_index = dict([(char, i) for i, char in enumerate(target_characters)])

    encoder_input_data = np.zeros(
        (len(input_texts), max_encoder_seq_length, num_encoder_tokens), dtype='float32')
    decoder_input_data = np.zeros(
        (len(input_texts), max_decoder_seq_length, num_decoder_tokens), dtype='float32')
    decoder_target_data = np.zeros(
        (len(input_texts), max_decoder_seq_length, num_decoder_tokens), dtype='float32')
    for i, (input_text, target_text) in enumerate(zip(input_texts, target_texts)):
        for t, char in enumerate(input_text):
            encoder_input_data[i, t, input_token_index[char]] = 1.
        for t, char in enumerate(target_text):
            decoder_input_data[i, t, target_token_index[char]] = 1.
            if t > 0:
                decoder_target_data[i, t - 1, target_token_index[char]] = 1.

    # Training model.
    encoder_inputs = Input(shape=(None, num_encoder_tokens))
    encoder = LSTM(latent_dim, return_state=True)
    encoder_outputs, state_h, state_c = encoder(encoder_inputs)
    encoder_states = [state_h, state_c]

    decoder_inputs = Input(shape=(None, num_decoder_tokens))
    decoder_lstm = LSTM(latent_dim, return_sequences=True, return_state=True)
    decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
    decoder_dense = Dense(num_decoder_tokens, activation='softmax')
    decoder_outputs = decoder_dense(decoder_outputs)

    model = Model([encoder_inputs, decoder_inputs], decoder_outputs)
    model.compile(optimizer='rmsprop', loss='categorical_crossentropy')
    history = model.fit([encoder_input_data, decoder_input_data], decoder_target_data,
                        batch_size=batch_size, epochs=epochs, verbose=2, validation_split=0.2)

    # Inference models.
    encoder_model = Model(encoder_inputs, encoder_states)
    decoder_state_input_h = Input(shape=(latent_dim,))
    decoder_state_input_c = Input(shape=(latent_dim,))
    decoder_states_inputs = [decoder_state_input_h, decoder_state_input_c]
    decoder_outputs, state_h, state_c = decoder_lstm(
        decoder_inputs, initial_state=decoder_states_inputs)
    decoder_states = [state_h, state_c]
    decoder_outputs = decoder_dense(decoder_outputs)
    decoder_model = Model([decoder_inputs] + decoder_states_inputs,
                          [decoder_outputs] + decoder_states)

    reverse_target_char_index = dict((i, char) for char, i in target_token_index.items())

    def decode_sequence(input_seq):
        states_value = encoder_model.predict(input_seq, verbose=0)
        target_seq = np.zeros((1, 1, num_decoder_tokens))
        target_seq[0, 0, target_token_index['\t']] = 1.
        decoded_sentence = ''
        while True:
            output_tokens, h, c = decoder_model.predict([target_seq] + states_value, verbose=0)
            sampled_token_index = np.argmax(output_tokens[0, -1, :])
            sampled_char = reverse_target_char_index[sampled_token_index]
            decoded_sentence += sampled_char
            if sampled_char == '\n' or len(decoded_sentence) > max_decoder_seq_length:
                break
            target_seq = np.zeros((1, 1, num_decoder_tokens))
            target_seq[0, 0, sampled_token_index] = 1.
            states_value = [h, c]
        return decoded_sentence

    lengths = []
    for seq_index in range(3):
        input_seq = encoder_input_data[seq_index: seq_index + 1]
        decoded_sentence = decode_sequence(input_seq)
        print('Input sentence:', input_texts[seq_index], 'Decoded:', repr(decoded_sentence))
        lengths.append(len(decoded_sentence))

    # The inference models reproduce the training model's first decoder step.
    states = encoder_model.predict(encoder_input_data[:1], verbose=0)
    first_step = decoder_model.predict([decoder_input_data[:1, :1]] + states, verbose=0)[0]
    full = model.predict([encoder_input_data[:1], decoder_input_data[:1]], verbose=0)
    return {'first_loss': history.history['loss'][0], 'val_loss': history.history['val_loss'][-1],
            'decoded_length': float(np.mean(lengths)),
            'inference_gap': float(np.abs(first_step[:, 0] - full[:, 0]).max())}


if __name__ == '__main__':
    print(main())
