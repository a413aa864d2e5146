"""The training loop, written once for every backend."""
