"""Event-camera (AER) readers and writers, HDF5 spike datasets and bundled data
(installed as ``spikecore.datasets``).

Public entry points are re-exported here; each lives in a small module of its own.
"""
