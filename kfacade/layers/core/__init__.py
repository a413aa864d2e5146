"""Core layers: Dense, Activation, Dropout, Flatten, Reshape, Lambda."""
