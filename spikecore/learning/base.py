"""A small scikit-learn-compatible base for spikecore's estimators (no scikit-learn needed).

It follows scikit-learn's estimator conventions (Buitinck et al. 2013, "API design for machine
learning software"): every hyper-parameter is an ``__init__`` keyword stored unchanged under the
same name; :meth:`BaseEstimator.get_params` finds them by introspecting the ``__init__`` signature;
fitted state ends in ``_``; ``n_features_in_`` and, for classifiers, ``classes_`` are set by
``fit``. Input checks name the argument, the value and the expectation (``spikecore._validate``).

``X`` is checked and returned as float64: the estimators fit their input scaling (ranges,
means, deviations) on it and convert to the float32 of their kernels only after scaling. Casting
first would lose a feature's variation whenever its offset is large against its spread (float32
keeps about 7 digits: a column ``1e8 + x`` with ``x`` of order 1 becomes a few distinct values;
Iris shifted by 1e8 scored 0.66 with every estimator instead of 0.95-1.0).
"""
import inspect
import sys
import warnings

import numpy as np

from spikecore import _validate


class NotFittedError(ValueError, AttributeError):
    """Raised when ``predict`` (or similar) is called before ``fit``.

    When scikit-learn is already imported, the instance raised is of a subclass of both this
    class and ``sklearn.exceptions.NotFittedError`` (see :func:`sklearn_compatible`), so
    ``except`` clauses written for either catch it.
    """


class DataConversionWarning(UserWarning):
    """Warns that input data was converted (e.g. a column-vector ``y`` ravelled).

    Issued as a subclass of ``sklearn.exceptions.DataConversionWarning`` too when scikit-learn
    is already imported (see :func:`sklearn_compatible`).
    """


# scikit-learn's class of the same role, by name in ``sklearn.exceptions``
_SKLEARN_TWIN = {NotFittedError: "NotFittedError", DataConversionWarning: "DataConversionWarning"}
_TWINS = {}


def sklearn_compatible(cls):
    """The class to raise (or warn with) for ``cls``: ``cls`` itself, or, when
    ``sklearn.exceptions`` is already imported, a cached subclass of both ``cls`` and
    scikit-learn's class of the same name.

    spikecore never imports scikit-learn; but a user (or scikit-learn's own checks) who catches
    ``sklearn.exceptions.NotFittedError`` must have imported ``sklearn.exceptions``, and then
    the error raised is an instance of both classes. Catching spikecore's class always works.

    Parameters
    ----------
    cls : type
        :class:`NotFittedError` or :class:`DataConversionWarning`.

    Returns
    -------
    type
    """
    module = sys.modules.get("sklearn.exceptions")
    theirs = getattr(module, _SKLEARN_TWIN[cls], None) if module is not None else None
    if theirs is None or issubclass(cls, theirs):
        return cls
    twin = _TWINS.get((cls, theirs))
    if twin is None:
        twin = type(cls.__name__, (cls, theirs), {
            "__module__": cls.__module__,
            "__doc__": "%s that is also scikit-learn's %s." % (cls.__name__, theirs.__name__),
            # pickle as spikecore's class (the twin itself is not importable by name)
            "__reduce__": lambda self: (_rebuild, (cls, self.args)),
        })
        _TWINS[(cls, theirs)] = twin
    return twin


def _rebuild(cls, args):
    """Unpickle an exception of :func:`sklearn_compatible` ``(cls)`` with ``args``."""
    return sklearn_compatible(cls)(*args)


def not_fitted_error(estimator):
    """The :class:`NotFittedError` instance to raise for ``estimator`` (see :func:`sklearn_compatible`)."""
    return sklearn_compatible(NotFittedError)(
        "This %s instance is not fitted yet: call fit(X, y) first." % type(estimator).__name__)


class BaseEstimator:
    """Parameter handling and input validation shared by spikecore estimators.

    Subclasses list every hyper-parameter as an explicit keyword of ``__init__`` and store it
    unchanged as an attribute of the same name; they validate them in ``fit``.
    """

    @classmethod
    def _param_names(cls):
        sig = inspect.signature(cls.__init__)
        names = []
        for name, p in sig.parameters.items():
            if name == "self":
                continue
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise TypeError("%s.__init__ must list its parameters explicitly (no *args/**kwargs)"
                                % cls.__name__)
            names.append(name)
        return sorted(names)

    def get_params(self, deep=True):
        """Return the hyper-parameters as a dict ``{name: value}`` (``deep`` is accepted for
        scikit-learn compatibility; nested estimators' parameters are included as ``name__sub``)."""
        out = {}
        for name in self._param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                for sub, sub_value in value.get_params().items():
                    out["%s__%s" % (name, sub)] = sub_value
            out[name] = value
        return out

    def set_params(self, **params):
        """Set hyper-parameters by name; an unknown name raises ``ValueError`` naming it."""
        valid = self._param_names()
        for name, value in params.items():
            key, _, sub = name.partition("__")
            if key not in valid:
                _validate.fail("parameter name", name, "one of " + ", ".join(valid))
            if sub:
                getattr(self, key).set_params(**{sub: value})
            else:
                setattr(self, key, value)
        return self

    def __repr__(self):
        defaults = {name: p.default for name, p in inspect.signature(type(self).__init__).parameters.items()}
        shown = []
        for name in self._param_names():
            value = getattr(self, name)
            default = defaults.get(name, inspect.Parameter.empty)
            try:
                same = value is default or bool(value == default)
            except Exception:
                same = False
            if not same:
                shown.append("%s=%r" % (name, value))
        return "%s(%s)" % (type(self).__name__, ", ".join(shown))

    def __sklearn_tags__(self):
        # Only scikit-learn calls this, so importing it here keeps it optional.
        from sklearn.utils import Tags, TargetTags, InputTags
        return Tags(estimator_type=None, target_tags=TargetTags(required=False),
                    transformer_tags=None, regressor_tags=None, classifier_tags=None,
                    input_tags=InputTags())

    # ------------------------------------------------------------------ input checks
    def _check_X(self, X, *, reset):
        """Validate ``X`` as a finite 2-D float64 matrix (C order); set or check ``n_features_in_``."""
        if hasattr(X, "tocsr") or hasattr(X, "todense"):
            _validate.fail("X", "<sparse matrix of shape %s>" % (getattr(X, "shape", "?"),),
                           "a dense array: sparse input is not supported (use X.toarray())", TypeError)
        X = np.asarray(X)
        if X.dtype.kind == "c":
            _validate.fail("X", "<array of dtype %s>" % X.dtype, "real numbers: Complex data not supported")
        if X.dtype.kind == "O":
            X = X.astype(np.float64)  # raises TypeError naming the offending element's type
        X = _validate.array("X", X, finite=True, kinds="biuf")
        if X.ndim != 2:
            _validate.fail("X", "<array of shape %s>" % (X.shape,),
                           "a 2-D array (n_samples, n_features); Reshape your data with "
                           "X.reshape(-1, 1) if it has one feature or X.reshape(1, -1) if it is one sample")
        if X.shape[0] == 0:
            _validate.fail("X", "<array of shape %s>" % (X.shape,), "at least one sample (row)")
        if X.shape[1] == 0:
            _validate.fail("X", "<array of shape %s>" % (X.shape,), "at least one feature (column): "
                           "0 feature(s) (shape=%s) while a minimum of 1 is required." % (X.shape,))
        X = np.ascontiguousarray(X, dtype=np.float64)
        if not np.all(np.isfinite(X)):
            _validate.fail("X", "<array with values beyond float64 range>", "finite float64 values")
        if reset:
            self.n_features_in_ = X.shape[1]
        else:
            self._check_fitted()
            if X.shape[1] != self.n_features_in_:
                raise ValueError("X has %d features, but %s is expecting %d features as input "
                                 "(n_features_in_ = %d)" % (X.shape[1], type(self).__name__,
                                                            self.n_features_in_, self.n_features_in_))
        return X

    def _check_fitted(self):
        if not hasattr(self, "n_features_in_"):
            raise not_fitted_error(self)


class ClassifierMixin:
    """Label handling and accuracy score for classifiers built on :class:`BaseEstimator`."""

    _estimator_type = "classifier"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        from sklearn.utils import ClassifierTags
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags()
        tags.target_tags.required = True
        return tags

    def _check_X_y(self, X, y):
        """Validate ``X`` and ``y`` together; set ``classes_``; return ``X`` and ``y`` as class indices."""
        if y is None:
            _validate.fail("y", y, "labels: %s requires y to be passed, but the target y is None"
                           % type(self).__name__)
        X = self._check_X(X, reset=True)
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            warnings.warn("A column-vector y was passed when a 1d array was expected: y of shape "
                          "(%d, 1) is ravelled to (%d,)" % (y.shape[0], y.shape[0]),
                          sklearn_compatible(DataConversionWarning), stacklevel=3)
            y = y.ravel()
        if y.ndim != 1:
            _validate.fail("y", "<array of shape %s>" % (y.shape,), "a 1-D array of labels")
        if y.shape[0] != X.shape[0]:
            _validate.fail("y", "<array of length %d>" % y.shape[0],
                           "one label per row of X (%d rows)" % X.shape[0])
        if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
            _validate.fail("y", "<array containing NaN or inf>", "finite labels")
        if y.dtype.kind == "f" and np.any(y != np.round(y)):
            _validate.fail("y", "<array of non-integer floats>",
                           "class labels; Unknown label type: continuous (a classifier needs discrete labels)")
        if y.dtype.kind not in "biufUSO":
            _validate.fail("y", "<array of dtype %s>" % y.dtype, "class labels (integers or strings)", TypeError)
        if y.dtype.kind == "O":
            missing = [i for i, v in enumerate(y) if _is_missing(v)]
            if missing:
                _validate.fail("y", "<array with a missing label (%r) at index %d>" % (y[missing[0]], missing[0]),
                               "a label for every row (no None, NaN or NA)")
        try:
            self.classes_, y_index = np.unique(y, return_inverse=True)
        except TypeError:  # labels that cannot be ordered together, e.g. 1 and "a"
            kinds = sorted({type(v).__name__ for v in y})
            _validate.fail("y", "<labels of types %s>" % ", ".join(kinds),
                           "labels of one kind (all numbers or all strings)", TypeError)
        if len(self.classes_) < 2:
            _validate.fail("y", "<labels of %d class>" % len(self.classes_),
                           "at least 2 classes to fit a classifier")
        return X, y_index.astype(np.int64)

    def score(self, X, y):
        """Mean accuracy of :meth:`predict` on ``X`` against the labels ``y``."""
        return float(np.mean(self.predict(X) == np.asarray(y)))


def _is_missing(value):
    """Whether a label of an object array is a missing value: None, a float NaN or pandas' NA."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(value, (float, np.floating)) and bool(np.isnan(value))


class RegressorMixin:
    """Target handling and :math:`R^2` score for regressors built on :class:`BaseEstimator`."""

    _estimator_type = "regressor"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        from sklearn.utils import RegressorTags
        tags.estimator_type = "regressor"
        tags.regressor_tags = RegressorTags()
        tags.target_tags.required = True
        return tags

    def _check_y(self, X, y):
        """Validate real-valued targets ``y`` (n_samples,) or (n_samples, n_outputs) as float64.

        An object array of numbers is converted (as scikit-learn does); strings raise.
        """
        if y is None:
            _validate.fail("y", y, "targets: %s requires y to be passed, but the target y is None"
                           % type(self).__name__)
        y = np.asarray(y)
        if y.dtype.kind == "O":
            try:
                y = y.astype(np.float64)
            except (TypeError, ValueError) as exc:
                _validate.fail("y", "<object array>", "real-valued targets (%s)" % exc, type(exc))
        y = _validate.array("y", y, ndim=(1, 2), finite=True, dtype=np.float64)
        if y.shape[0] != X.shape[0]:
            _validate.fail("y", "<array of length %d>" % y.shape[0],
                           "one target per row of X (%d rows)" % X.shape[0])
        return y

    def score(self, X, y):
        r"""Coefficient of determination of :meth:`predict`, averaged over the outputs.

        .. math:: R^2 = 1 - \frac{\sum_i (y_i - \hat y_i)^2}{\sum_i (y_i - \bar y)^2}

        per output column (scikit-learn's ``r2_score`` with ``multioutput="uniform_average"``);
        a constant column scores 1 if predicted exactly, else 0.
        """
        y = np.asarray(y, dtype=np.float64)
        pred = np.asarray(self.predict(X), dtype=np.float64).reshape(y.shape)
        y2, p2 = y.reshape(len(y), -1), pred.reshape(len(y), -1)
        ss_res = np.sum((y2 - p2) ** 2, axis=0)
        ss_tot = np.sum((y2 - y2.mean(axis=0)) ** 2, axis=0)
        safe = np.where(ss_tot > 0, ss_tot, 1.0)
        r2 = np.where(ss_tot > 0, 1.0 - ss_res / safe, (ss_res == 0).astype(np.float64))
        return float(np.mean(r2))
