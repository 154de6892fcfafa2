"""Build Keras objects in float64: the reference's higher-precision twin that sets the noise floors."""

import contextlib

import keras


@contextlib.contextmanager
def floatx(dtype):
    """Build layers, inputs and optimizers in ``dtype`` inside the block."""
    if dtype == "float64" and keras.backend.backend() == "jax":
        import jax

        jax.config.update("jax_enable_x64", True)  # else JAX silently computes in float32
    previous_floatx, previous_policy = keras.config.floatx(), keras.config.dtype_policy()
    keras.config.set_floatx(dtype)
    keras.config.set_dtype_policy(dtype)  # layers take the policy, which does not follow floatx
    try:
        yield
    finally:
        keras.config.set_floatx(previous_floatx)
        keras.config.set_dtype_policy(previous_policy)


def float64_twin(implementation, weights, build_kwargs=None):
    """The network of ``implementation`` built in float64 and loaded with ``weights``."""
    with floatx("float64"):
        network = implementation.build_network(**(build_kwargs or {}))
    implementation.set_replica_weights(network, weights)
    return network
