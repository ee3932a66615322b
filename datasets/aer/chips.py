"""Sensor sizes (width, height) of the cameras named in AEDAT headers (jAER ``AEChip`` class
names, cAER ``Source`` names) and Prophesee plugin names, for :class:`EventFileMeta`."""

# Checked in order: the first substring found (case-insensitive) decides.
_INIVATION = (
    ("dvs128", (128, 128)),
    ("tmpdiff128", (128, 128)),
    ("davis346", (346, 260)),
    ("davis240", (240, 180)),
    ("davis640", (640, 480)),
    ("davis208", (208, 192)),
    ("davis128", (128, 128)),
    ("dvxplorer", (640, 480)),
)

_PROPHESEE = (
    ("imx636", (1280, 720)),
    ("gen41", (1280, 720)),
    ("gen4", (1280, 720)),
    ("genx320", (320, 320)),
    ("gen31", (640, 480)),
    ("gen3", (640, 480)),
)


def inivation_size(name):
    """Sensor size of an iniVation/jAER chip name, or ``None`` if unknown."""
    low = (name or "").lower()
    for key, size in _INIVATION:
        if key in low:
            return size
    return None


def inivation_layout(name):
    """AEDAT 2.0 address layout (``"dvs128"`` or ``"davis"``) implied by a chip name, or None."""
    low = (name or "").lower()
    if "dvs128" in low or "tmpdiff128" in low:
        return "dvs128"
    if "davis" in low:
        return "davis"
    return None


def prophesee_size(plugin):
    """Sensor size implied by a Prophesee HAL plugin / sensor name, or ``None``."""
    low = (plugin or "").lower()
    for key, size in _PROPHESEE:
        if key in low:
            return size
    return None
