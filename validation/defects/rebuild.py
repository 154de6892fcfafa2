"""Rebuild a fused network with some layers replaced or added: how the planted defects are made."""

import keras

from multidense_impl import MultiDense


def rebuild(network, replace):
    """A new model calling ``network``'s layers in order, each through ``replace(layer) -> [layers]``."""
    inputs = keras.Input(shape=network.input.shape[1:], name="xgrid")
    x = inputs
    for layer in network.layers[1:]:
        for substitute in replace(layer):
            x = substitute(x)
    return keras.Model(inputs, x, name=f"{network.name}_defect")


def swap_class(layer_class):
    """``replace`` turning every MultiDense into ``layer_class`` (same config, hence same draws)."""
    def replace(layer):
        if isinstance(layer, MultiDense):
            return [layer_class.from_config(layer.get_config())]
        return [layer]
    return replace
