"""A third-party adapter joins exactly as the built-in ones do: through the
``kfacade.backends`` entry-point group, with no edit to kfacade."""
import os
import subprocess
import sys
import textwrap

import kfacade

ACTIVE = kfacade.backend.backend()


def test_third_party_adapter_is_found_through_entry_points(tmp_path):
    # A distribution installed on sys.path: a module plus its dist-info.
    (tmp_path / "thirdparty_adapter.py").write_text(textwrap.dedent(f"""
        '''A third-party adapter: the active built-in one under another name.'''
        from kfacade.backends.{ACTIVE} import *  # noqa: F401,F403
        from kfacade.backends.{ACTIVE} import requirement  # noqa: F401
        name = "thirdparty"
    """))
    info = tmp_path / "thirdparty_adapter-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: thirdparty-adapter\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[kfacade.backends]\nthirdparty = thirdparty_adapter\n")
    script = textwrap.dedent("""
        import numpy as np
        import kfacade as keras
        model = keras.Sequential([keras.layers.Dense(2, input_shape=(3,))])
        print(keras.backend.backend(), model.predict(np.ones((4, 3)), verbose=0).shape)
    """)
    env = dict(os.environ, KERAS_BACKEND="thirdparty", OMP_NUM_THREADS="1",
               PYTHONPATH=str(tmp_path) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                          timeout=300, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == "thirdparty (4, 2)"
