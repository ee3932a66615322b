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


def onnx_matches_and_converts(path, X, atol, snn_atol):
    """Import the ONNX model at ``path``, check its logits on ``X`` against onnxruntime (to
    ``atol``) and that the converted network's integrated output at T = 512 approaches them
    (within 5 % of the largest logit plus ``snn_atol``); returns the imported network."""
    import onnxruntime as ort

    from spikecore.conversion import convert, load_onnx

    net = load_onnx(path)
    ref = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(["logits"], {"x": X})[0]
    np.testing.assert_allclose(net.logits(X), ref, rtol=1e-4, atol=atol)
    snn = convert(net, X, method="percentile", percentile=100.0)
    z = snn.run(X, 512) / 512  # the integrated output approaches the logits
    assert np.abs(z - ref).max() < 0.05 * np.abs(ref).max() + snn_atol
    return net
