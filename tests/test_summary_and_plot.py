"""``Model.summary()`` against real Keras's counts, and ``plot_model`` /
``model_to_dot`` through pydot and Graphviz."""
import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import kfacade
from kfacade import layers

#: The classic example models, written once for kfacade and for real Keras
#: (the same API): `keras` is the module the source is run with.
EXAMPLE_MODELS = textwrap.dedent("""
    def example_models(keras):
        layers = keras.layers
        mlp = keras.Sequential([
            keras.Input((784,)),
            layers.Dense(512, activation="relu"), layers.Dropout(0.2),
            layers.Dense(512, activation="relu"), layers.Dropout(0.2),
            layers.Dense(10, activation="softmax")], name="mnist_mlp")
        cnn = keras.Sequential([
            keras.Input((28, 28, 1)),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)), layers.Dropout(0.25), layers.Flatten(),
            layers.Dense(128, activation="relu"), layers.BatchNormalization(),
            layers.Dense(10, activation="softmax")], name="mnist_cnn")
        lstm = keras.Sequential([
            keras.Input((80,), dtype="int32"),
            layers.Embedding(20000, 128), layers.LSTM(128, dropout=0.2),
            layers.Dense(1, activation="sigmoid")], name="imdb_lstm")
        left = keras.Input((16,), name="left")
        right = keras.Input((16,), name="right")
        shared = layers.Dense(8, activation="relu", name="shared")
        merged = layers.concatenate([shared(left), shared(right)], name="merged")
        out_a = layers.Dense(1, name="out_a")(merged)
        out_b = layers.Dense(3, activation="softmax", name="out_b")(merged)
        two_outputs = keras.Model([left, right], [out_a, out_b], name="two_outputs")
        return [mlp, cnn, lstm, two_outputs]

    def counts(models):
        result = {}
        for model in models:
            model.compile(optimizer="adam", loss="mse")
            model.optimizer.build(model.trainable_variables)
            result[model.name] = {
                "layers": [[type(layer).__name__, layer.count_params()] for layer in model.layers],
                "trainable": sum(int(np.prod(w.shape)) for w in model.trainable_weights),
                "non_trainable": sum(int(np.prod(w.shape)) for w in model.non_trainable_weights),
                "optimizer": sum(int(np.prod(v.shape)) for v in model.optimizer.variables),
            }
        return result
""")


def _run_examples(keras_module):
    namespace = {"np": np}
    exec(EXAMPLE_MODELS, namespace)
    return namespace["example_models"](keras_module), namespace["counts"]


@pytest.fixture(scope="module")
def keras_counts():
    """Real Keras 3's parameter counts of the example models, from one subprocess."""
    script = EXAMPLE_MODELS + "\nimport json, numpy as np, keras\nprint(json.dumps(counts(example_models(keras))))\n"
    env = dict(os.environ, KERAS_BACKEND=kfacade.backend.backend())
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _summary_lines(model, **kwargs):
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    return lines


def _total(lines, label):
    line = next(line for line in lines if line.startswith(label + ":"))
    return int(line.split(":")[1].split("(")[0])


@pytest.mark.backend_independent  # runs real Keras; parameter counts do not depend on the backend
@pytest.mark.skipif(importlib.util.find_spec("keras") is None,
                    reason="keras (Keras 3) is not installed: no reference counts")
def test_summary_counts_equal_keras(keras_counts):
    models, counts = _run_examples(kfacade)
    ours = counts(models)
    for model in models:
        reference = keras_counts[model.name]
        assert ours[model.name] == reference, model.name
        lines = _summary_lines(model, line_length=150)  # wide: no cell wraps
        assert _total(lines, "Total params") == reference["trainable"] + reference["non_trainable"]
        assert _total(lines, "Trainable params") == reference["trainable"]
        assert _total(lines, "Non-trainable params") == reference["non_trainable"]
        assert _total(lines, "Optimizer params") == reference["optimizer"]
        for layer, (class_name, count) in zip(model.layers, reference["layers"]):
            row = next(line for line in lines if line.startswith(f" {layer.name} ("))
            assert f"({class_name})" in row and f" {count} " in row, row


#: Models with every layer named (tf_keras and kfacade number unnamed layers
#: differently), summarized the same way by both; `keras` is the module.
NAMED_SUMMARIES = textwrap.dedent("""
    def summaries(keras):
        layers = keras.layers
        lines = []
        mlp = keras.Sequential([
            layers.Dense(64, activation="relu", input_shape=(20,), name="hidden"),
            layers.Dropout(0.5, name="drop"),
            layers.Dense(10, activation="softmax", name="classes")], name="mlp")
        mlp.summary(print_fn=lines.append)
        left = keras.Input((8,), name="left")
        right = keras.Input((8,), name="right")
        shared = layers.Dense(4, name="shared")
        merged = layers.concatenate([shared(left), shared(right)], name="merged")
        out_a = layers.Dense(1, name="out_a")(merged)
        out_b = layers.Dense(2, name="out_b")(merged)
        two = keras.Model([left, right], [out_a, out_b], name="two")
        two.summary(print_fn=lines.append, show_trainable=True)
        inner = keras.Sequential([layers.Dense(3, input_shape=(8,), name="inner_dense")],
                                 name="inner")
        source = keras.Input((8,), name="source")
        nested = keras.Model(source, layers.Dense(2, name="head")(inner(source)), name="nested")
        nested.summary(print_fn=lines.append, expand_nested=True, line_length=80)
        return lines
""")


@pytest.mark.backend_independent  # runs tf_keras; the table's text does not depend on the backend
@pytest.mark.skipif(importlib.util.find_spec("tf_keras") is None,
                    reason="tf_keras (Keras 2) is not installed: no reference layout")
def test_summary_text_matches_tf_keras():
    script = NAMED_SUMMARIES + (
        "\nimport json, tf_keras\nprint(json.dumps(summaries(tf_keras)))\n")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    reference = json.loads(done.stdout.strip().splitlines()[-1])
    namespace = {}
    exec(NAMED_SUMMARIES, namespace)
    ours = namespace["summaries"](kfacade)
    # tf_keras writes an InputLayer's shape as a list of one shape; Keras 3 and
    # kfacade as the shape (the two characters less are padding).
    reference = [line.replace("[(None, 8)]", "(None, 8)  ") for line in reference]
    assert ours == reference


def test_summary_counts_from_first_principles():
    mlp, cnn, lstm, two_outputs = _run_examples(kfacade)[0]
    expected = {
        mlp: 784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10,
        # conv 3x3x1x32+32, 3x3x32x64+64, dense 12*12*64*128+128, BN 4*128, dense 128*10+10
        cnn: 320 + 18496 + 9216 * 128 + 128 + 4 * 128 + 1290,
        lstm: 20000 * 128 + 4 * (128 * 128 + 128 * 128 + 128) + 129,
        two_outputs: 16 * 8 + 8 + 17 + 16 * 3 + 3,
    }
    for model, total in expected.items():
        lines = _summary_lines(model)
        assert _total(lines, "Total params") == total
        assert "Optimizer params" not in "\n".join(lines)  # not compiled
    assert _total(_summary_lines(cnn), "Non-trainable params") == 2 * 128


def test_summary_layout_is_tf_keras_plain_table():
    _, _, _, two_outputs = _run_examples(kfacade)[0]
    lines = _summary_lines(two_outputs)
    assert lines[0] == 'Model: "two_outputs"'
    assert lines[1] == "_" * 98 and lines[3] == "=" * 98
    assert lines[2].split() == ["Layer", "(type)", "Output", "Shape", "Param", "#",
                                "Connected", "to"]
    text = "\n".join(lines)
    # The shared layer's two calls, then the concatenation of both.
    shared_row = lines.index(next(line for line in lines if line.startswith(" shared (Dense)")))
    assert "['left[0][0]'," in lines[shared_row]
    assert "'right[0][0]']" in lines[shared_row + 1]
    assert "'shared[0][0]'," in text and "'shared[1][0]']" in text
    assert " out_b (Dense)" in text and "(None, 3)" in text

    mlp = _run_examples(kfacade)[0][0]
    lines = _summary_lines(mlp, show_trainable=True)
    assert len(lines[1]) == 65 + 11 and "Connected to" not in lines[2]
    assert lines[2].rstrip().endswith("Trainable")
    assert lines[4].startswith(" dense") and lines[4].rstrip().endswith("Y")
    assert all(len(line) == 76 for line in lines[2:-5] if line.strip() and "=" not in line)

    lines = _summary_lines(mlp, line_length=80, positions=[0.5, 0.8, 1.0])
    assert len(lines[1]) == 80 and lines[2].index("Output Shape") == 40


def test_summary_expand_nested_and_frozen_layers():
    inner = kfacade.Sequential([kfacade.Input((8,)), layers.Dense(3, name="inner_dense")],
                               name="inner")
    inputs = kfacade.Input((8,))
    outputs = layers.Dense(2, name="head")(inner(inputs))
    model = kfacade.Model(inputs, outputs, name="outer")
    inner.trainable = False
    collapsed = "\n".join(_summary_lines(model))
    assert "inner_dense" not in collapsed
    lines = _summary_lines(model, expand_nested=True, show_trainable=True)
    nested = next(line for line in lines if "inner_dense (Dense)" in line)
    assert nested.startswith("| inner_dense") and nested.endswith("|")
    assert nested.rstrip("|").rstrip().endswith("N")
    assert _total(lines, "Trainable params") == 2 * 3 + 2
    assert _total(lines, "Non-trainable params") == 8 * 3 + 3


def test_summary_of_subclassed_model_and_unbuilt_model():
    class TwoDense(kfacade.Model):
        def __init__(self):
            super().__init__(name="two_dense")
            self.hidden = layers.Dense(4)
            self.out = layers.Dense(1)

        def call(self, inputs):
            return self.out(self.hidden(inputs))

    model = TwoDense()
    with pytest.raises(ValueError, match="has not been built yet"):
        model.summary()
    model(np.zeros((2, 3), "float32"))
    lines = _summary_lines(model)
    assert _total(lines, "Total params") == 3 * 4 + 4 + 5
    assert any("multiple" in line for line in lines)


# ------------------------------------------------------------------ plot_model
def _has_pydot():
    return importlib.util.find_spec("pydot") is not None


needs_pydot = pytest.mark.skipif(not _has_pydot(), reason="pydot is not installed")
needs_graphviz = pytest.mark.skipif(
    not _has_pydot() or __import__("shutil").which("dot") is None,
    reason="pydot or graphviz's `dot` program is not installed")


def _plotted_model():
    inner = kfacade.Sequential([kfacade.Input((16,)), layers.Dense(3, name="inner_dense")],
                               name="inner_block")
    left = kfacade.Input((8,), name="left_input")
    right = kfacade.Input((8,), name="right_input")
    shared = layers.Dense(8, activation="relu", name="shared_dense")
    merged = layers.concatenate([shared(left), shared(right)], name="merged")
    out_a = layers.Dense(1, name="out_a")(inner(merged))
    out_b = layers.Dense(2, name="out_b")(merged)
    return kfacade.Model([left, right], [out_a, out_b], name="plotted")


@needs_graphviz
def test_plot_model_writes_a_png_that_decodes(tmp_path):
    from PIL import Image

    path = tmp_path / "model.png"
    assert kfacade.utils.plot_model(_plotted_model(), to_file=str(path), show_shapes=True,
                                    dpi=96) is None
    with Image.open(path) as image:
        image.load()
        width, height = image.size
    assert image.format == "PNG"
    # Seven boxes over five ranks: taller than wide-ish, and far from empty.
    assert 200 < width < 5000 and 300 < height < 5000
    assert [p.name for p in tmp_path.iterdir()] == ["model.png"]  # no temporary file left


@needs_graphviz
def test_plot_model_svg_and_pdf_contents(tmp_path):
    model = _plotted_model()
    svg = tmp_path / "model.svg"
    kfacade.utils.plot_model(model, to_file=str(svg), show_shapes=True, show_dtype=True,
                             show_layer_activations=True, show_trainable=True)
    text = svg.read_text()
    assert text.lstrip().startswith("<?xml") and "</svg>" in text
    for name in ("left_input", "right_input", "shared_dense", "merged", "inner_block", "out_a",
                 "out_b"):
        assert f"{name}: " in text, name
    assert "(None, 8)" in text and "(None, 3)" in text and "[(None, 8), (None, 8)]" in text
    assert "relu" in text and "float32" in text and "Trainable" in text
    assert "inner_dense" not in text  # collapsed without expand_nested

    pdf = tmp_path / "model.pdf"
    kfacade.utils.plot_model(model, to_file=str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF")


@needs_pydot
def test_model_to_dot_edges_and_expand_nested(tmp_path):
    model = _plotted_model()
    dot = kfacade.utils.model_to_dot(model, show_layer_names=False)
    labels = {node.get_name(): node.get("label") for node in dot.get_nodes()
              if node.get("label")}
    by_label = {}
    for name, label in labels.items():
        by_label.setdefault(label.strip('"'), []).append(name)
    assert sorted(by_label) == ["Concatenate", "Dense", "InputLayer", "Sequential"]
    edges = {(edge.get_source(), edge.get_destination()) for edge in dot.get_edges()}
    assert len(edges) == 6  # two inputs -> shared, shared -> merged, merged -> 2, inner -> out_a

    expanded = kfacade.utils.model_to_dot(model, expand_nested=True, rankdir="LR")
    clusters = expanded.get_subgraphs()
    assert len(clusters) == 1 and clusters[0].get("label") == "inner_block"
    inner_names = " ".join(n.get("label") for n in clusters[0].get_nodes())
    assert "inner_dense: Dense" in inner_names
    path = tmp_path / "model.dot"  # the source needs only pydot
    kfacade.utils.plot_model(model, to_file=str(path), expand_nested=True)
    source = path.read_text()
    assert source.startswith("digraph") and "subgraph cluster_" in source

    with pytest.raises(ValueError, match="rankdir"):
        kfacade.utils.model_to_dot(model, rankdir="BT")
    with pytest.raises(ValueError, match="extension"):
        kfacade.utils.plot_model(model, to_file=str(tmp_path / "model.docx"))


def test_plot_model_names_missing_pydot_and_graphviz(monkeypatch, tmp_path):
    from kfacade.utils import model_visualization

    model = _plotted_model()
    monkeypatch.setitem(sys.modules, "pydot", None)  # `import pydot` raises ImportError
    with pytest.raises(ImportError, match=r"pip install pydot"):
        kfacade.utils.plot_model(model, to_file=str(tmp_path / "m.png"))
    with pytest.raises(ImportError, match=r"pip install pydot"):
        kfacade.utils.model_to_dot(model)
    monkeypatch.undo()
    if not _has_pydot():
        return
    monkeypatch.setattr(model_visualization.shutil, "which", lambda program: None)
    with pytest.raises(ImportError, match=r"apt-get install graphviz.*graphviz\.org"):
        kfacade.utils.plot_model(model, to_file=str(tmp_path / "m.png"))
    assert list(tmp_path.iterdir()) == []


def test_keras2_vis_utils_path():
    from kfacade.utils import vis_utils

    assert vis_utils.plot_model is kfacade.utils.plot_model
    assert vis_utils.model_to_dot is kfacade.utils.model_to_dot


@needs_pydot
def test_model_to_dot_draws_ops_between_layers():
    inputs = kfacade.Input((4,), name="ops_input")
    left = layers.Dense(3, name="left_dense")(inputs)
    right = layers.Dense(3, name="right_dense")(inputs)
    outputs = layers.Dense(1, name="head")(kfacade.ops.add(left, right))
    model = kfacade.Model(inputs, outputs)
    dot = kfacade.utils.model_to_dot(model)
    label_of = {node.get_name(): node.get("label").strip('"') for node in dot.get_nodes()
                if node.get("label")}
    edges = {(label_of[e.get_source()].split(":")[0], label_of[e.get_destination()].split(":")[0])
             for e in dot.get_edges()}
    assert edges == {("ops_input", "left_dense"), ("ops_input", "right_dense"),
                     ("left_dense", "add"), ("right_dense", "add"), ("add", "head")}
    lines = _summary_lines(model)
    assert any(line.startswith(" head (Dense)") and "['add[0][0]']" in line for line in lines)
