"""``set_random_seed``: one call that makes a run reproducible on any backend."""
import random

import numpy as np


def set_random_seed(seed):
    """Seeds Python's ``random``, NumPy, kfacade's initializers and seed
    generators, and the backend framework's global generator.

    With the same seed, initial weights are identical on every backend (they
    are drawn in NumPy through one seeded path).

    Args:
        seed: a non-negative int.

    Raises:
        ValueError: `seed` is not a non-negative int.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"Expected `seed` to be a non-negative integer. Received: seed={seed!r}")
    from kfacade import initializers
    from kfacade import random as kfacade_random
    from kfacade.backend.active import adapter

    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    initializers.set_global_seed(seed)
    kfacade_random.set_global_seed(seed)
    adapter.set_global_seed(seed)
