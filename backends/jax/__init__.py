name = 'jax'
