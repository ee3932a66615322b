"""Save and load fitted estimators as HDF5 files (no pickle).

``save_estimator(est, "model.h5")`` writes the estimator's class, its hyper-parameters
(``get_params``) and every attribute of its instance dictionary (the fitted state: arrays,
numbers, strings, lists, dicts, and spikecore objects made of those), recursively, as HDF5
groups, datasets and attributes. ``load_estimator("model.h5")`` rebuilds it. The layout is
readable by any HDF5 tool::

    /                      attrs: format, spikecore_version, class
    /params/<name>         hyper-parameters
    /state/<name>          instance attributes (fitted state)

Each stored value is a dataset (arrays) or an attribute (scalars, strings) or a group with an
attribute ``kind`` (``list``, ``tuple``, ``dict``, ``object``, ``generator``, ``none``...).
Only classes from ``spikecore`` (and NumPy scalar types) are re-created on load, so loading a
file never runs arbitrary code. The write is atomic (:mod:`spikecore._atomic`).
"""
import importlib
import json
import numbers

import h5py
import numpy as np

from spikecore import __version__
from spikecore._atomic import atomic_path

FORMAT = "spikecore-estimator/1"
_ALLOWED_MODULES = ("spikecore.", "numpy")


def _class_path(cls):
    return "%s:%s" % (cls.__module__, cls.__qualname__)


def _import_class(path, where):
    module, _, qualname = path.partition(":")
    if not (module.startswith(_ALLOWED_MODULES) or module in ("spikecore", "builtins")):
        raise ValueError("%s: refusing to load class %r (only spikecore and numpy classes are restored)"
                         % (where, path))
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _write(group, name, value, where):
    """Store ``value`` under ``group[name]`` (dataset, attribute or sub-group)."""
    here = "%s/%s" % (where, name)
    if value is None:
        group.create_group(name).attrs["kind"] = "none"
    elif isinstance(value, (bool, np.bool_)):
        g = group.create_group(name)
        g.attrs["kind"] = "bool"
        g.attrs["value"] = bool(value)
    elif isinstance(value, (numbers.Integral, numbers.Real, np.number)) and not isinstance(value, np.ndarray):
        g = group.create_group(name)
        g.attrs["kind"] = "scalar"
        g.attrs["value"] = value
        g.attrs["type"] = _class_path(type(value))
    elif isinstance(value, str):
        g = group.create_group(name)
        g.attrs["kind"] = "str"
        g.attrs["value"] = value
    elif isinstance(value, np.ndarray):
        if value.dtype.kind in "biufc":
            group.create_dataset(name, data=value)
        elif value.dtype.kind == "U":
            ds = group.create_dataset(name, data=np.char.encode(value, "utf-8"))
            ds.attrs["kind"] = "str_array"
        elif value.dtype.kind == "O":
            g = group.create_group(name)
            g.attrs["kind"] = "object_array"
            g.attrs["shape"] = value.shape
            for i, item in enumerate(value.ravel()):
                _write(g, str(i), item, here)
        else:
            raise TypeError("%s: cannot store an array of dtype %s" % (here, value.dtype))
    elif isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        g = group.create_group(name)
        g.attrs["kind"] = "dtype"
        g.attrs["value"] = np.dtype(value).str
        g.attrs["as_type"] = isinstance(value, type)
    elif isinstance(value, np.random.Generator):
        g = group.create_group(name)
        g.attrs["kind"] = "generator"
        g.attrs["bit_generator"] = type(value.bit_generator).__name__
        g.attrs["state"] = json.dumps(value.bit_generator.state, default=int)
    elif isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        g = group.create_group(name)
        g.attrs["kind"] = "list" if isinstance(value, list) else "tuple"
        g.attrs["length"] = len(value)
        for i, item in enumerate(value):
            _write(g, str(i), item, here)
    elif isinstance(value, dict):
        g = group.create_group(name)
        g.attrs["kind"] = "dict"
        keys = list(value)
        g.attrs["keys"] = json.dumps([k if isinstance(k, str) else {"int": int(k)} for k in keys])
        for i, k in enumerate(keys):
            if not isinstance(k, (str, numbers.Integral)):
                raise TypeError("%s: dict keys must be str or int, got %r" % (here, k))
            _write(g, str(i), value[k], here)
    elif type(value).__module__.startswith("spikecore"):
        g = group.create_group(name)
        g.attrs["class"] = _class_path(type(value))
        if hasattr(value, "_fields"):  # a namedtuple
            g.attrs["kind"] = "namedtuple"
            for field in value._fields:
                _write(g, field, getattr(value, field), here)
        else:
            g.attrs["kind"] = "object"
            state = value.__getstate__() if hasattr(value, "__getstate__") else vars(value)
            if not isinstance(state, dict):
                state = vars(value)
            for key, item in state.items():
                _write(g, key, item, here)
    else:
        raise TypeError("%s: cannot store a value of type %s" % (here, _class_path(type(value))))


def _read(node, where):
    here = "%s/%s" % (where, node.name.rsplit("/", 1)[-1])
    if isinstance(node, h5py.Dataset):
        data = node[()]
        if node.attrs.get("kind") == "str_array":
            return np.char.decode(np.asarray(data), "utf-8")
        return data
    kind = node.attrs.get("kind")
    if kind == "none":
        return None
    if kind == "bool":
        return bool(node.attrs["value"])
    if kind == "scalar":
        return _import_class(node.attrs["type"], here)(node.attrs["value"])
    if kind == "str":
        return str(node.attrs["value"])
    if kind == "dtype":
        dt = np.dtype(node.attrs["value"])
        return dt.type if node.attrs["as_type"] else dt
    if kind == "generator":
        bitgen = getattr(np.random, str(node.attrs["bit_generator"]))()
        bitgen.state = json.loads(node.attrs["state"])
        return np.random.Generator(bitgen)
    if kind in ("list", "tuple"):
        items = [_read(node[str(i)], here) for i in range(int(node.attrs["length"]))]
        return items if kind == "list" else tuple(items)
    if kind == "object_array":
        shape = tuple(node.attrs["shape"])
        out = np.empty(int(np.prod(shape)), dtype=object)
        for i in range(out.size):
            out[i] = _read(node[str(i)], here)
        return out.reshape(shape)
    if kind == "dict":
        keys = [k if isinstance(k, str) else int(k["int"]) for k in json.loads(node.attrs["keys"])]
        return {k: _read(node[str(i)], here) for i, k in enumerate(keys)}
    if kind == "namedtuple":
        cls = _import_class(node.attrs["class"], here)
        return cls(**{field: _read(node[field], here) for field in cls._fields})
    if kind == "object":
        cls = _import_class(node.attrs["class"], here)
        obj = cls.__new__(cls)
        state = {key: _read(node[key], here) for key in node}
        if hasattr(obj, "__setstate__"):
            obj.__setstate__(state)
        else:
            obj.__dict__.update(state)
        return obj
    raise ValueError("%s: unknown stored kind %r" % (here, kind))


def save_estimator(estimator, path, **info):
    """Write a (fitted) spikecore estimator to an HDF5 file.

    Parameters
    ----------
    estimator : spikecore estimator
        Any object with ``get_params`` whose class lives in ``spikecore``.
    path : str or path-like
        Destination; replaced atomically.
    **info : str, int or float
        Extra top-level attributes to record (e.g. the data source and split used).

    Returns
    -------
    str
        ``path``.
    """
    cls = type(estimator)
    if not cls.__module__.startswith("spikecore"):
        raise TypeError("estimator = %r: expected a spikecore estimator" % (estimator,))
    params = estimator.get_params(deep=False)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["format"] = FORMAT
        f.attrs["spikecore_version"] = __version__
        f.attrs["class"] = _class_path(cls)
        for key, value in info.items():
            f.attrs["info_" + key] = value
        pg = f.create_group("params")
        for name, value in params.items():
            _write(pg, name, value, "/params")
        sg = f.create_group("state")
        for name, value in vars(estimator).items():
            if name not in params:
                _write(sg, name, value, "/state")
    return str(path)


def load_estimator(path):
    """Read an estimator written by :func:`save_estimator`.

    Returns
    -------
    estimator
        The same class with the same parameters and fitted state.
    info : dict
        The extra attributes passed to :func:`save_estimator`.
    """
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise OSError("%s: not a readable HDF5 file (%s)" % (path, exc)) from None
    with f:
        if f.attrs.get("format") != FORMAT:
            raise ValueError("%s: not a spikecore estimator file (attribute 'format' is %r, expected %r)"
                             % (path, f.attrs.get("format"), FORMAT))
        cls = _import_class(f.attrs["class"], str(path))
        params = {name: _read(f["params"][name], "/params") for name in f["params"]}
        estimator = cls(**params)
        for name in f["state"]:
            setattr(estimator, name, _read(f["state"][name], "/state"))
        info = {k[5:]: (v.item() if hasattr(v, "item") else v) for k, v in f.attrs.items() if k.startswith("info_")}
    return estimator, info
