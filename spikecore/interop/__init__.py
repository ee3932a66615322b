"""Exchange formats: Lava-dl netx HDF5 (for Loihi) and NIR, read and write.

Submodules (import them explicitly; none imports an optional dependency at import time):

* :mod:`spikecore.interop.lava` -- ``read_netx``, ``write_netx``, ``resource_report`` and the
  bit-exact Loihi emulation ``LoihiNetwork``.
* :mod:`spikecore.interop.nir` -- ``from_nir``, ``to_nir``, ``write_nir`` (needs the optional
  ``nir`` package: ``pip install spikecore[nir]``).
* :mod:`spikecore.interop.graph` -- ``GraphNetwork``, the discrete-time float graph that NIR
  files are imported into.
"""
