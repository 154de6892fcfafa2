"""A planted slowdown: real extra work in ``MultiDense.call``, not a sleep.

This file is copied verbatim into planted commits (``python -m validation.timing.power plant``) as
``multidense_impl/_planted_slowdown.py``, and ``multidense_impl/layers.py`` gets two lines appended:

    from multidense_impl._planted_slowdown import slowed_call
    MultiDense.call = slowed_call(MultiDense.call, {replicas: work, ...}, {replicas: trace_ops, ...})

``work`` sizes one extra tanh GEMM over the layer's own output, ``(N, units) x (units, work * units)``:
about ``work`` times the cost of a ``units x units`` layer, differentiable, so the backward pass pays
too: it slows every step. ``trace_ops`` chains that many scalar ``sin`` ops on the output's mean: each
costs little to run but must be traced, differentiated and compiled, so it slows the first step
(trace and compile) far more than the others. Both are added back scaled by 1e-30: numerically inert
in float32, but no compiler can drop them.
"""

import keras

INERT_SCALE = 1e-30


def extra_work(outputs, work):
    """One tanh GEMM of ``outputs`` (..., N, U) with a fixed (U, round(work * U)) matrix, summed."""
    units = outputs.shape[-1]
    columns = max(1, int(round(work * units)))
    mixing = keras.ops.full((units, columns), 0.01, dtype=outputs.dtype)
    return keras.ops.sum(keras.ops.tanh(keras.ops.matmul(outputs, mixing)))


def extra_trace_work(outputs, ops):
    """A chain of ``ops`` scalar ``sin`` ops on the mean of ``outputs``."""
    value = keras.ops.mean(outputs)
    for _ in range(int(round(ops))):
        value = keras.ops.sin(value)
    return value


def slowed_call(call, work_by_replicas, trace_ops_by_replicas=None):
    """``call`` followed by ``work_by_replicas[self.replicas]`` units of extra work and
    ``trace_ops_by_replicas[self.replicas]`` extra scalar ops (none where absent)."""
    trace_ops_by_replicas = trace_ops_by_replicas or {}

    def slowed(self, inputs):
        outputs = call(self, inputs)
        work = float(work_by_replicas.get(self.replicas, 0.0))
        ops = float(trace_ops_by_replicas.get(self.replicas, 0.0))
        if work > 0:
            outputs = outputs + INERT_SCALE * extra_work(outputs, work)
        if ops >= 1:
            outputs = outputs + INERT_SCALE * extra_trace_work(outputs, ops)
        return outputs

    return slowed
