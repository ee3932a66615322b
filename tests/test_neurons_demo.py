"""`spikecore demo` runs, reports every population, and is reproducible from its seed."""
import re

from spikecore.cli import main


def _table(text):
    rows = {}
    for line in text.splitlines():
        m = re.match(r"\s+(CUBA LIF|Izhikevich RS|Izhikevich FS|Hodgkin-Huxley),.*?\s+(\d+)\s+(\d+)\s+([\d.]+)",
                     line)
        if m:
            rows[m.group(1)] = (int(m.group(2)), int(m.group(3)), float(m.group(4)))
    return rows


def test_demo_runs_and_reports(capsys):
    assert main(["demo", "--duration", "0.3"]) == 0
    first = _table(capsys.readouterr().out)
    assert set(first) == {"CUBA LIF", "Izhikevich RS", "Izhikevich FS", "Hodgkin-Huxley"}
    assert first["CUBA LIF"][0] == 500
    for name, (n, spikes, rate) in first.items():
        assert spikes > 0 and rate > 0, name
    assert main(["demo", "--duration", "0.3"]) == 0
    assert _table(capsys.readouterr().out) == first          # same seed, same spikes
    assert main(["demo", "--duration", "0.3", "--seed", "1"]) == 0
    assert _table(capsys.readouterr().out)["CUBA LIF"] != first["CUBA LIF"]


def test_demo_rejects_bad_arguments(capsys):
    assert main(["demo", "--duration", "-1"]) == 2
    assert "--duration = -1.0" in capsys.readouterr().err
