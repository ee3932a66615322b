"""Event-camera (AER) readers and writers, HDF5 spike datasets and bundled data
(installed as ``spikecore.datasets``).

Public entry points are re-exported here; each lives in a small module of its own.
"""

# AER event files: readers, writers, format detection (spikecore.datasets.aer)
from .aer import (EVENT_DTYPE, CorruptFileError, EventFileMeta, detect_format, iter_events, read_events,
                  read_header, write_events)

# HDF5 spike datasets, dataset folders, bundled data (event transforms: spikecore.datasets.transforms)
from .bundled import load_digits
from .folders import DatasetFolderError, convert_file, convert_folder, plan_folder
from .spike_dataset import (SpikeDataset, SpikeDatasetError, SpikeDatasetWriter, spike_count_features,
                            write_spike_dataset)
