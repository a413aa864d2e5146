"""Writes tests/keras3_public_names.json: the public names of Keras 3's namespaces.

Run with Keras 3 installed (any backend; JAX or torch start fastest):

    KERAS_BACKEND=jax python tools/keras3_public_names.py

tests/test_public_api.py checks kfacade against the committed file, so the
test itself needs no Keras. Rerun this after upgrading Keras and commit the
result; the test then lists the names kfacade still lacks.
"""
import importlib
import json
import os
import sys

#: The namespaces compared, as Keras 3 spells them ("keras" is the top level).
NAMESPACES = [
    "keras", "keras.activations", "keras.callbacks", "keras.config", "keras.constraints",
    "keras.datasets", "keras.distribution", "keras.initializers", "keras.layers",
    "keras.losses", "keras.metrics", "keras.models", "keras.ops", "keras.optimizers",
    "keras.random", "keras.regularizers", "keras.saving", "keras.tree", "keras.utils",
]
#: Namespaces left out on purpose (docs/compatibility.md says why).
SKIPPED = ["keras.applications"]

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests",
                   "keras3_public_names.json")


def main():
    import keras

    names = {}
    for namespace in NAMESPACES:
        module = importlib.import_module(namespace)
        names[namespace] = sorted(name for name in dir(module) if not name.startswith("_"))
    document = {"keras_version": keras.__version__, "skipped_namespaces": SKIPPED,
                "namespaces": names}
    with open(OUT, "w") as f:
        json.dump(document, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {OUT}: Keras {keras.__version__}, "
          f"{sum(len(v) for v in names.values())} names in {len(names)} namespaces")


if __name__ == "__main__":
    sys.exit(main())
