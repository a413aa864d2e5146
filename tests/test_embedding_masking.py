"""Embedding and Masking: lookups against NumPy, Keras's weight layout, the
masks they produce and how those masks reach later layers of a model."""
import numpy as np
import pytest

import kfacade
from kfacade import ops
from kfacade.layers.core.embedding import Embedding
from kfacade.layers.core.masking import Masking
from kfacade.layers.layer import Layer

try:
    from tests.helpers import assert_close
    from tests.layer_testing import run_layer_test
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import assert_close
    from layer_testing import run_layer_test


def to_numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


class MaskProbe(Layer):
    """Identity that records the mask it is called with."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.seen = []

    def call(self, inputs, mask=None):
        self.seen.append(None if mask is None else to_numpy(mask))
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


# --------------------------------------------------------------- Embedding


@pytest.mark.parametrize("index_dtype", ["int32", "int64", "float32"])
@pytest.mark.parametrize("index_shape", [(4,), (2, 3), (2, 3, 2)], ids=str)
def test_embedding_lookup_matches_numpy(index_shape, index_dtype, rng):
    table = rng.standard_normal((7, 3)).astype("float32")
    indices = rng.integers(0, 7, size=index_shape)
    layer = Embedding(7, 3)
    layer.build(None)
    layer.set_weights([table])
    output = layer(indices.astype(index_dtype))
    assert_close(output, table[indices])
    assert layer.compute_output_shape(index_shape) == index_shape + (3,)


def test_embedding_weight_layout_and_initializer():
    layer = Embedding(10, 4, name="emb")
    layer(np.array([[1, 2]]))
    assert [w.path for w in layer.weights] == ["emb/embeddings"]
    assert layer.embeddings.shape == (10, 4)
    assert len(layer.trainable_weights) == 1 and layer.count_params() == 40
    values = layer.get_weights()[0]
    assert np.all(np.abs(values) <= 0.05) and values.std() > 0  # "uniform": U(-0.05, 0.05)


def test_embedding_mask_zero_mask_and_supports_masking():
    indices = np.array([[3, 1, 0, 0], [2, 0, 5, 0]])
    masked = Embedding(6, 2, mask_zero=True)
    assert masked.supports_masking
    np.testing.assert_array_equal(to_numpy(masked.compute_mask(ops.convert_to_tensor(indices))),
                                  indices != 0)
    plain = Embedding(6, 2)
    assert not plain.supports_masking
    assert plain.compute_mask(ops.convert_to_tensor(indices)) is None


def test_embedding_mask_reaches_later_layers_in_a_model():
    inputs = kfacade.Input((4,), dtype="int32")
    embedded = Embedding(6, 2, mask_zero=True)(inputs)
    assert embedded.shape == (None, 4, 2) and embedded._keras_mask.shape == (None, 4)
    probe = MaskProbe()
    model = kfacade.Model(inputs, probe(embedded))
    indices = np.array([[3, 1, 0, 0], [2, 0, 5, 0]])
    assert tuple(ops.shape(model(indices))) == (2, 4, 2)
    np.testing.assert_array_equal(probe.seen[-1], indices != 0)
    # Without mask_zero nothing is masked.
    unmasked = Embedding(6, 2)(kfacade.Input((4,), dtype="int32"))
    assert unmasked._keras_mask is None


def test_embedding_input_length_declares_the_input_keras2():
    model = kfacade.Sequential([Embedding(10, 4, input_length=5)])
    assert model.layers[0]._batch_input_shape == (None, 5)
    assert tuple(ops.shape(model(np.zeros((2, 5), "int32")))) == (2, 5, 4)


def test_embedding_config_round_trip_and_errors():
    layer = Embedding(10, 4, mask_zero=True, embeddings_regularizer="l2",
                      embeddings_initializer="zeros", name="emb")
    config = layer.get_config()
    assert config["input_dim"] == 10 and config["output_dim"] == 4 and config["mask_zero"] is True
    rebuilt = Embedding.from_config(config)
    assert rebuilt.get_config() == config
    rebuilt(np.array([[1]]))
    assert len(rebuilt.losses) == 1  # the l2 penalty on the table
    with pytest.raises(ValueError, match=r"`input_dim` must be a positive integer. Received: input_dim=0"):
        Embedding(0, 4)
    with pytest.raises(ValueError, match=r"`output_dim` must be a positive integer. Received: output_dim=2.5"):
        Embedding(4, 2.5)


def test_embedding_run_layer_test():
    run_layer_test(Embedding, {"input_dim": 5, "output_dim": 3, "mask_zero": True},
                   input_shape=(2, 4), input_dtype="int32", expected_output_shape=(2, 4, 3),
                   expected_num_trainable_weights=1, supports_masking=True)


# ----------------------------------------------------------------- Masking


@pytest.mark.parametrize("mask_value", [0.0, -1.0])
def test_masking_values_and_mask_match_numpy(mask_value, rng):
    x = rng.standard_normal((2, 4, 3)).astype("float32")
    x[0, 1] = mask_value
    x[1, [0, 3]] = mask_value
    x[1, 2, 0] = mask_value  # one feature equal to mask_value: the step is kept
    keep = np.any(x != mask_value, axis=-1)
    layer = Masking(mask_value=mask_value)
    assert_close(layer(x), np.where(keep[..., None], x, 0.0))
    np.testing.assert_array_equal(to_numpy(layer.compute_mask(ops.convert_to_tensor(x))), keep)


def test_masking_mask_reaches_later_layers_in_a_model(rng):
    x = rng.standard_normal((2, 4, 3)).astype("float32")
    x[0, 2:] = 0.0
    inputs = kfacade.Input((4, 3))
    masked = Masking()(inputs)
    assert masked._keras_mask.shape == (None, 4)
    probe = MaskProbe()
    dense = kfacade.layers.Dense(2)  # supports masking: passes the mask on
    model = kfacade.Model(inputs, probe(dense(masked)))
    model(x)
    np.testing.assert_array_equal(probe.seen[-1], np.any(x != 0, axis=-1))


def test_masking_run_layer_test():
    data = np.ones((2, 3, 2), "float32")
    data[0, 1] = 0.0
    run_layer_test(Masking, {"mask_value": 0.0}, input_data=data, expected_output=data,
                   expected_num_trainable_weights=0, supports_masking=True)
    assert Masking(mask_value=-1.0).get_config()["mask_value"] == -1.0
