"""Core layers: Dense, Identity, Activation, Dropout, Flatten, Reshape, Lambda; Wrapper."""
