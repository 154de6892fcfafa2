"""Loss and gradients of a model's trainable variables, the same call on every Keras backend."""

import keras


def loss_and_gradients(model, inputs, loss_fn):
    """Return ``(loss, gradients)`` of ``loss_fn(model(inputs))`` w.r.t. ``model.trainable_variables``."""
    backend = keras.backend.backend()
    variables = model.trainable_variables
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = loss_fn(model(inputs, training=True))
        return loss, tape.gradient(loss, variables)
    if backend == "jax":
        import jax

        non_trainable = [v.value for v in model.non_trainable_variables]

        def loss_of(trainable):
            outputs, _ = model.stateless_call(trainable, non_trainable, inputs, training=True)
            return loss_fn(outputs)

        return jax.value_and_grad(loss_of)([v.value for v in variables])
    if backend == "torch":
        for variable in variables:
            variable.value.grad = None
        loss = loss_fn(model(inputs, training=True))
        loss.backward()
        return loss.detach(), [variable.value.grad for variable in variables]
    raise ValueError(f"backend: unsupported Keras backend {backend!r} (tensorflow, jax or torch)")


def replica_gradients(model, implementation, inputs, loss_fn):
    """Gradients arranged ``[replica][layer] -> (kernel, bias)`` by the implementation's own mapping.

    The gradients are loaded into the variables so that ``implementation.get_replica_weights`` can
    arrange them; the original weights are restored afterwards.
    """
    _, gradients = loss_and_gradients(model, inputs, loss_fn)
    variables = model.trainable_variables
    originals = [keras.ops.copy(variable.value) for variable in variables]
    for variable, gradient in zip(variables, gradients, strict=True):
        variable.assign(gradient)
    arranged = implementation.get_replica_weights(model)
    for variable, original in zip(variables, originals, strict=True):
        variable.assign(original)
    return arranged
