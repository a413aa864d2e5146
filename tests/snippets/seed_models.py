"""The seed's Keras programs, written as their users wrote them (``import
kfacade as keras``). Used by the model tests and run per backend by the
cross-backend test, which compares their predictions."""
import numpy as np

import kfacade as keras
from kfacade import backend as K
from kfacade.engine.topology import Layer


class MyLayer(Layer):
    """The Keras 2 custom-layer guide's example."""

    def __init__(self, output_dim, **kwargs):
        self.output_dim = output_dim
        super(MyLayer, self).__init__(**kwargs)

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[1], self.output_dim),
                                      initializer="uniform", trainable=True)
        super(MyLayer, self).build(input_shape)

    def call(self, x):
        return K.dot(x, self.kernel)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_dim)


class SimpleMLP(keras.Model):
    """The Keras guide's subclassed model (its call takes no `training`)."""

    def __init__(self, use_bn=False, use_dp=False, num_classes=10):
        super(SimpleMLP, self).__init__(name="mlp")
        self.use_bn = use_bn
        self.use_dp = use_dp
        self.num_classes = num_classes
        self.dense1 = keras.layers.Dense(32, activation="relu")
        self.dense2 = keras.layers.Dense(num_classes, activation="softmax")
        if self.use_dp:
            self.dp = keras.layers.Dropout(0.5)
        if self.use_bn:
            self.bn = keras.layers.BatchNormalization(axis=-1)

    def call(self, inputs):
        x = self.dense1(inputs)
        if self.use_dp:
            x = self.dp(x)
        if self.use_bn:
            x = self.bn(x)
        return self.dense2(x)


def sequential_model():
    model = keras.Sequential()
    model.add(keras.layers.Dense(units=64, activation="relu", input_dim=100))
    model.add(keras.layers.Dense(units=10, activation="softmax"))
    return model


def functional_model():
    inputs = keras.Input(shape=(784,))
    x = keras.layers.Dense(64, activation="relu")(inputs)
    x = keras.layers.Dense(64, activation="relu")(x)
    predictions = keras.layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs=inputs, outputs=predictions)


def custom_layer_model():
    model = keras.Sequential()
    model.add(MyLayer(16, input_shape=(20,)))
    model.add(keras.layers.Activation("tanh"))
    return model


def subclassed_model():
    model = SimpleMLP(use_bn=True, use_dp=True)
    model(np.zeros((1, 20), "float32"))
    return model


#: name -> (builder, input feature count)
SNIPPETS = {
    "sequential": (sequential_model, 100),
    "functional": (functional_model, 784),
    "custom_layer": (custom_layer_model, 20),
    "subclassed": (subclassed_model, 20),
}


def seeded_weights(model, seed):
    """Deterministic weights for `model` drawn in NumPy (backend-independent)."""
    rng = np.random.default_rng(seed)
    return [rng.uniform(0.5, 1.5, w.shape).astype("float32") if "variance" in w.name
            else rng.standard_normal(w.shape).astype("float32") * 0.3 for w in model.weights]


def predictions(seed=0):
    """{snippet name: predictions} with seeded weights and inputs."""
    results = {}
    for index, (name, (build, features)) in enumerate(SNIPPETS.items()):
        model = build()
        model.set_weights(seeded_weights(model, seed + index))
        x = np.random.default_rng(seed + 100 + index).standard_normal((8, features)).astype("float32")
        results[name] = model.predict(x, batch_size=4, verbose=0)
    return results


if __name__ == "__main__":
    import sys

    np.savez(sys.argv[1], **predictions())
