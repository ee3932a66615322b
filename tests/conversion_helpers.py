"""Helpers shared by the conversion tests of branched networks (imported with the tests folder
on ``sys.path``; not a test module)."""
import numpy as np

from spikecore.conversion.blocks import source_of
from spikecore.datasets import load_digits


def digits_split():
    """The bundled 8x8 digits scaled to [0, 1] as (n, 1, 8, 8): 1 300 training samples and the
    rest for testing, in a fixed random order."""
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    idx = np.random.default_rng(0).permutation(len(X))
    return X[idx[:1300]], y[idx[:1300]], X[idx[1300:]], y[idx[1300:]]


def block_logits(blocks, X):
    """What the blocks of ``to_blocks`` compute as an ANN: each block's activation of its main
    input (``source``) plus its shortcuts, pooled; the last block's output."""
    outs = []
    for i, b in enumerate(blocks):
        s = source_of(blocks, i)
        z = b.linear(X.reshape(len(X), -1) if s < 0 else outs[s])
        for sb, source in b.skips:
            z = z + sb.linear(outs[source], with_bias=False)
        outs.append(b.pool(b.activate(z)))
    return outs[-1]
