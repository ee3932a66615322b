"""Plain-NumPy oracles of every kernel, written from the equations for a reader.

``spikecore.reference.<module>.<name>`` is the twin of ``spikecore.kernels.<module>.<name>``:
same name, same signature, same results (exactly for spikes and integers, to a stated
tolerance for floats). Tests prove the pairs agree with hypothesis. Nothing here is fast.
"""
