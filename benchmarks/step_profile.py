"""Where the fused step's time goes, with the active backend's own tools (``KERAS_BACKEND`` picks it):

* jax: the optimized HLO of the network's forward + backward (``jax.jit(...).lower().compile()``):
  its dots, and the copies and transposes XLA inserts around them;
* tensorflow: the op types of the traced (``tf.function``) forward + backward graph, and the times
  of the hidden layer's product as one BatchMatMulV2 against R MatMuls (``tf_product_timings``);
* torch: ``torch.profiler`` of a few fit train steps, ops by self CPU time.

``KERAS_BACKEND=jax python -m benchmarks.step_profile --replicas 100``.
"""

import argparse
import collections
import re

import keras

from benchmarks import cases
from harness.workload import FitWorkload

COUNTED_HLO = ("dot", "copy", "transpose", "fusion", "broadcast", "reduce")


def network_and_grid(implementation, replicas):
    keras.backend.clear_session()
    return cases.build_network(implementation, replicas), FitWorkload(replicas).xgrid


def hlo_summary(implementation, replicas):
    """Counts of HLO instructions (and copy fusions) of the network's jitted gradient."""
    import jax
    import jax.numpy as jnp

    network, xgrid = network_and_grid(implementation, replicas)
    variables = [variable.value for variable in network.trainable_variables]

    def loss(values):
        outputs, _ = network.stateless_call(values, [], jnp.asarray(xgrid))
        return jnp.sum(outputs**2)

    text = jax.jit(jax.grad(loss)).lower(variables).compile().as_text()
    counts = collections.Counter(re.findall(r"= \S+ ([a-z][\w-]*)\(", text))
    summary = {name: counts.get(name, 0) for name in COUNTED_HLO}
    summary["copy fusions"] = len(set(re.findall(r"%(copy[\w]*fusion[.\d]*) = ", text)))
    return summary


def tf_graph_summary(implementation, replicas):
    """Op-type counts of the traced forward + backward graph."""
    import tensorflow as tf

    network, xgrid = network_and_grid(implementation, replicas)

    @tf.function
    def gradient(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(network(x) ** 2)
        return tape.gradient(loss, network.trainable_variables)

    graph = gradient.get_concrete_function(tf.constant(xgrid)).graph
    counts = collections.Counter(operation.type for operation in graph.get_operations())
    kept = ("MatMul", "BatchMatMulV2", "BatchMatMulV3", "Transpose", "Sum", "BroadcastTo", "Reshape",
            "Tanh", "TanhGrad", "AddV2", "BroadcastGradientArgs")
    return {name: counts[name] for name in kept if counts[name]}


def tf_product_timings(replicas, rounds=10, calls=7):
    """Median ms of the hidden layer's product (``(R, N, 25) @ (R, 25, 20)``), each formulation a
    ``tf.function`` reduced to a scalar, timed in interleaved rounds: how the fused layer should
    compute on this TensorFlow build."""
    import statistics
    import time

    import tensorflow as tf

    features, units = cases.HIDDEN_LAYER
    n_points = FitWorkload(replicas).n_points
    x = tf.random.normal((replicas, n_points, features))
    kernel, bias = tf.random.normal((replicas, features, units)), tf.random.normal((replicas, 1, units))
    xs, kernels, biases = tf.unstack(x), tf.unstack(kernel), tf.unstack(tf.reshape(bias, (replicas, units)))

    def per_replica(with_bias_and_tanh):
        def product(a, k, b):
            y = tf.matmul(a, k)
            return tf.tanh(tf.nn.bias_add(y, b)) if with_bias_and_tanh else y
        return [product(a, k, b) for a, k, b in zip(xs, kernels, biases, strict=True)]

    formulations = {
        "BatchMatMulV2": lambda: tf.reduce_sum(tf.matmul(x, kernel)),
        "BatchMatMulV2 + bias + tanh": lambda: tf.reduce_sum(tf.tanh(tf.matmul(x, kernel) + bias)),
        "R MatMul, stacked": lambda: tf.reduce_sum(tf.stack(per_replica(False))),
        "R MatMul + bias + tanh, stacked": lambda: tf.reduce_sum(tf.stack(per_replica(True))),
        "R MatMul + bias + tanh, not stacked":
            lambda: tf.add_n([tf.reduce_sum(y) for y in per_replica(True)]),
    }
    functions = {name: tf.function(formulation) for name, formulation in formulations.items()}
    samples = {name: [] for name in functions}
    for function in functions.values():
        function().numpy()
    for _ in range(rounds):
        for name, function in functions.items():
            seconds = []
            for _ in range(calls):
                start = time.perf_counter()
                function().numpy()
                seconds.append(time.perf_counter() - start)
            samples[name].append(statistics.median(seconds))
    return {name: 1e3 * statistics.median(values) for name, values in samples.items()}


def torch_table(implementation, replicas, steps=3, rows=12):
    """``torch.profiler``'s table of ``steps`` fit train steps, by self CPU time."""
    import torch

    case = cases.warmed(cases.new_fit_case(implementation, replicas))
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profile:
        for _ in range(steps):
            case.step()
    return profile.key_averages().table(sort_by="self_cpu_time_total", row_limit=rows,
                                        max_name_column_width=32)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", type=int, default=100)
    parser.add_argument("--implementations", nargs="+", default=["multidense"])
    arguments = parser.parse_args(argv)
    if arguments.replicas < 1:
        parser.error(f"--replicas must be at least 1, got {arguments.replicas}")
    backend = keras.backend.backend()
    for implementation in arguments.implementations:
        print(f"== {backend}, {implementation}, R = {arguments.replicas}")
        if backend == "jax":
            print(hlo_summary(implementation, arguments.replicas))
        elif backend == "tensorflow":
            print(tf_graph_summary(implementation, arguments.replicas))
        else:
            print(torch_table(implementation, arguments.replicas))
    if backend == "tensorflow":
        print(f"== tensorflow, the hidden layer's product at R = {arguments.replicas}, median ms")
        for name, milliseconds in tf_product_timings(arguments.replicas).items():
            print(f"{name:<40}{milliseconds:8.3f}")


if __name__ == "__main__":
    main()
