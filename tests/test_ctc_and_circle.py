"""``ops.ctc_loss``, ``ops.ctc_decode``, ``losses.CTC`` and ``losses.Circle``
against NumPy references: CTC by summing over every alignment of tiny cases,
greedy decoding step by step, Circle from the formula of Sun et al. (2020)."""
import itertools

import numpy as np
import pytest

import kfacade as keras
from kfacade import losses, ops
from kfacade.backend import adapter as B
from tests.helpers import assert_close


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def _log_softmax(x):
    x = x.astype(np.float64)
    shifted = x - x.max(-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


def _ctc_brute_force(logits, label, blank):
    """-log of the summed probability of every path that collapses to `label`."""
    log_prob = _log_softmax(logits)
    time_steps, classes = log_prob.shape
    total = 0.0
    for path in itertools.product(range(classes), repeat=time_steps):
        collapsed = [c for i, c in enumerate(path) if c != blank and (i == 0 or c != path[i - 1])]
        if collapsed == list(label):
            total += np.exp(sum(log_prob[t, c] for t, c in enumerate(path)))
    return -np.log(total)


def _greedy_reference(logits, length, merge_repeated, blank):
    """(decoded classes, minus the sum of the best logits) of one element."""
    best = logits[:length].argmax(-1)
    kept = [c for i, c in enumerate(best)
            if c != blank and not (merge_repeated and i > 0 and c == best[i - 1])]
    return kept, -logits[:length].max(-1).sum()


@pytest.mark.parametrize("mask_index", [0, 2])
def test_ctc_loss_matches_every_alignment(rng, mask_index):
    symbols = [c for c in range(3) if c != mask_index]  # 3 classes: 2 symbols + blank
    logits = rng.normal(size=(5, 4, 3)).astype("float32")
    labels = np.array([[symbols[0], symbols[1], 7],
                       [symbols[1], symbols[1], 7],  # a repeat needs a blank between
                       [symbols[0], 7, 7],           # 7: padding past the length
                       [symbols[1], symbols[0], symbols[1]],
                       [7, 7, 7]])
    label_length = np.array([2, 2, 1, 3, 0])
    output_length = np.array([4, 3, 4, 4, 2])
    loss = ops.ctc_loss(labels, logits, label_length, output_length, mask_index=mask_index)
    assert tuple(ops.shape(loss)) == (5,) and ops.dtype(loss) == "float32"
    expected = [_ctc_brute_force(logits[b, :output_length[b]], labels[b, :label_length[b]],
                                 mask_index) for b in range(5)]
    assert_close(_np(loss), np.array(expected), rtol=1e-5, atol=1e-5)


def test_ctc_loss_gradient_is_finite_and_matches_differences(rng):
    logits = rng.normal(size=(5, 4, 3))
    labels = np.array([[1, 2, 0], [1, 1, 0], [2, 0, 0], [1, 2, 1], [0, 0, 0]])
    label_length, output_length = np.array([2, 2, 1, 3, 0]), np.array([4, 3, 4, 4, 2])
    w = keras.Variable(logits.astype("float32"), name="logits")

    def loss():
        return B.sum(ops.ctc_loss(labels, w.value, label_length, output_length)), None

    # One compiled step: eager JAX would compile every op of the scan's gradient.
    step = B.compile_function(lambda data: {"grad": B.value_and_grad(loss, [w])[1][0]}, [w], "auto")
    grad = _np(step(None)["grad"])
    assert np.all(np.isfinite(grad))
    assert np.all(grad[1, 3] == 0.0) and np.all(grad[4, 2:] == 0.0)  # past the output length
    for b, t, c in [(0, 0, 0), (0, 2, 1), (1, 1, 2), (3, 3, 1), (4, 1, 0)]:
        delta = np.zeros_like(logits)
        delta[b, t, c] = 1e-5
        label = labels[b, :label_length[b]]
        numeric = (_ctc_brute_force((logits + delta)[b, :output_length[b]], label, 0)
                   - _ctc_brute_force((logits - delta)[b, :output_length[b]], label, 0)) / 2e-5
        assert abs(grad[b, t, c] - numeric) < 1e-3, (b, t, c, grad[b, t, c], numeric)


@pytest.mark.parametrize("merge_repeated", [True, False])
def test_ctc_decode_greedy(rng, merge_repeated):
    logits = rng.normal(size=(3, 7, 4)).astype("float32")
    logits[0, 1] = logits[0, 0]  # a repeated best class
    logits[1, 2:5, 2] = 9.0      # a run of one class
    lengths = np.array([7, 5, 6])
    for mask_index in (0, 3):
        decoded, scores = ops.ctc_decode(logits, lengths, merge_repeated=merge_repeated,
                                         mask_index=mask_index)
        decoded = _np(decoded)
        assert decoded.shape == (1, 3, 7) and ops.dtype(scores) == "float32"
        for b in range(3):
            kept, score = _greedy_reference(logits[b], lengths[b], merge_repeated, mask_index)
            np.testing.assert_array_equal(decoded[0, b], kept + [-1] * (7 - len(kept)))
            assert_close(_np(scores)[b, 0], score, rtol=1e-5)


def test_ctc_decode_and_loss_on_keras_tensors_and_bad_arguments():
    inputs, lengths = keras.Input((6, 4)), keras.Input((), dtype="int32")
    decoded, scores = ops.ctc_decode(inputs, lengths)
    assert tuple(decoded.shape) == (1, None, 6) and tuple(scores.shape) == (None, 1)
    loss = ops.ctc_loss(keras.Input((3,), dtype="int32"), inputs, lengths, lengths)
    assert tuple(loss.shape) == (None,)
    logits = np.zeros((1, 3, 4), "float32")
    with pytest.raises(NotImplementedError, match="beam_search"):
        ops.ctc_decode(logits, [3], strategy="beam_search")
    with pytest.raises(ValueError, match="Invalid strategy nope"):
        ops.ctc_decode(logits, [3], strategy="nope")
    with pytest.raises(ValueError, match="y_true.shape"):
        losses.ctc(np.zeros((1, 2, 1)), logits)


def test_ctc_loss_function_and_class_take_lengths_from_the_padding(rng):
    logits = rng.normal(size=(5, 4, 3)).astype("float32")  # the shapes of the tests above
    y_true = np.array([[1, 2, 0], [2, 0, 0], [1, 1, 0], [2, 1, 2], [1, 0, 0]])
    expected = [_ctc_brute_force(logits[b], [c for c in y_true[b] if c], 0) for b in range(5)]
    assert_close(_np(losses.ctc(y_true, logits)), np.array(expected), rtol=1e-5)
    assert_close(_np(losses.CTC()(y_true, logits)), np.mean(expected), rtol=1e-5)
    loss = losses.get({"class_name": "CTC", "config": losses.CTC(name="c").get_config()})
    assert isinstance(loss, losses.CTC) and loss.name == "c" and losses.get("ctc") is losses.ctc


def _circle_reference(labels, embeddings, ref_labels, ref_embeddings, remove_diagonal, gamma,
                      margin):
    """Sun et al. (2020), eq. 4, with cosine similarities s <= 1."""
    similarity = 1.0 - np.maximum(1.0 - embeddings @ ref_embeddings.T, 0.0)
    out = []
    for i, label in enumerate(labels):
        positive = [j for j, r in enumerate(ref_labels) if r == label and not (remove_diagonal and i == j)]
        negative = [j for j, r in enumerate(ref_labels) if r != label]
        terms_p = [-gamma * max(1 + margin - similarity[i, j], 0) * (similarity[i, j] - (1 - margin))
                   for j in positive]
        terms_n = [gamma * max(similarity[i, j] + margin, 0) * (similarity[i, j] - margin)
                   for j in negative]
        if not terms_p or not terms_n:
            out.append(0.0)
            continue
        total = np.logaddexp.reduce(terms_p) + np.logaddexp.reduce(terms_n)
        out.append(np.logaddexp(0.0, total))
    return np.array(out)


def test_circle_matches_the_formula(rng):
    embeddings = rng.normal(size=(8, 4))
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    labels = np.array([0, 1, 0, 2, 1, 0, 3, 2])  # label 3 has no other member
    for kwargs in ({}, {"remove_diagonal": False, "gamma": 10.0, "margin": 0.25}):
        args = dict(dict(remove_diagonal=True, gamma=80.0, margin=0.4), **kwargs)
        expected = _circle_reference(labels, embeddings, labels, embeddings, **args)
        values = _np(losses.circle(labels, embeddings.astype("float32"), **kwargs))
        assert_close(values, expected, rtol=1e-4, atol=1e-4)
        # The class averages over the samples with a positive loss (Keras's mask).
        loss = losses.Circle(**kwargs)(labels, embeddings.astype("float32"))
        assert_close(_np(loss), expected[expected > 0].mean(), rtol=1e-4)
    references = rng.normal(size=(8, 4))  # the shapes above: eager JAX compiles once
    ref_labels = np.array([0, 1, 2, 3, 0, 1, 1, 0])
    expected = _circle_reference(labels, embeddings, ref_labels, references, True, 80.0, 0.4)
    values = losses.circle(labels, embeddings.astype("float32"), ref_labels=ref_labels,
                           ref_embeddings=references.astype("float32"))
    assert_close(_np(values), expected, rtol=1e-4, atol=1e-4)
    assert losses.Circle(gamma=2.0).get_config() == {
        "name": "circle", "reduction": "sum_over_batch_size", "gamma": 2.0, "margin": 0.4,
        "remove_diagonal": True}


def test_compiled_fit_with_the_ctc_loss_decreases_it(rng):
    steps, classes, samples = 6, 4, 16
    model = keras.Sequential([keras.Input((steps, 5)), keras.layers.Dense(classes)])
    model.compile(loss=losses.CTC(), optimizer=keras.optimizers.Adam(0.05))
    x = rng.standard_normal((samples, steps, 5)).astype("float32")
    y = rng.integers(1, classes, (samples, 2))
    y[::3, 1] = 0  # some labels of one symbol
    history = model.fit(x, y, epochs=4, batch_size=8, verbose=0)
    loss = history.history["loss"]
    assert np.all(np.isfinite(loss)) and loss[-1] < loss[0]
