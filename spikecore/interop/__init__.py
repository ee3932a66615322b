"""Exchange formats: Lava-dl netx HDF5 (for Loihi) and NIR, read and write.

Submodules (import them explicitly; none imports an optional dependency at import time):

* :mod:`spikecore.interop.lava` -- ``read_netx`` (an engine ``spikecore.network.Network`` of
  Loihi populations, bit-exact with Lava; ``emulator=True`` for the ``LoihiNetwork`` emulator),
  ``run_netx`` (netx's staggered reset), ``input_bias``, ``write_netx``, ``resource_report``.
* :mod:`spikecore.interop.nir` -- ``from_nir`` (an engine Network; ``as_graph=True`` for a
  ``GraphNetwork``), ``to_nir``, ``write_nir`` (needs the optional ``nir`` package:
  ``pip install spikecore[nir]``).
* :mod:`spikecore.interop.nir_engine` -- the NIR graph <-> engine mapping and its timing.
* :mod:`spikecore.interop.graph` -- ``GraphNetwork``, the discrete-time float graph that NIR
  files are imported into.
"""
