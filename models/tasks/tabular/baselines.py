"""Simple baselines a tabular model must beat, fitted on the same training split and raw columns.

Every tabular run scores three baselines on its held-out split: the trivial one
(the majority class, or the training mean), a linear model (logistic or ridge
regression on standardized numbers and one-hot categories), and scikit-learn's
gradient-boosted trees (`HistGradientBoosting*`, which take missing values and
categories as they are). Datetime columns give their calendar parts; free-text
columns are left to the neural model.

Example:
    >>> import numpy as np
    >>> columns = {"x": np.array([0.0, 1.0, 2.0, np.nan], "float32"), "c": np.array(["a", "b", "", "a"], object)}
    >>> frame = baseline_frame(columns, {"x": "numeric", "c": "categorical"})
    >>> list(frame.columns), str(frame["c"].dtype)
    (['x', 'c'], 'category')
"""

from __future__ import annotations

import numpy as np

CALENDAR_PARTS = ("year", "month", "day", "day_of_week", "hour")
MAX_TREE_CATEGORIES = 250
"""Categorical columns with more categories than this (the trees' bin limit) are read as category codes."""


def baseline_frame(columns: dict[str, np.ndarray], types: dict[str, str], categories: dict | None = None):
    """A pandas DataFrame of the raw columns the baselines read: numbers, categories, calendar parts.

    `categories` (column -> the training split's categories) makes the held-out
    split use the same category codes as the training split.
    """
    import pandas as pd

    frame = {}
    for name, kind in types.items():
        values = columns[name]
        if kind == "numeric":
            frame[name] = np.asarray(values, "float64")
        elif kind == "datetime":
            stamps = pd.to_datetime(pd.Series(values).replace("", None), errors="coerce")
            for part in CALENDAR_PARTS:
                frame[f"{name}.{part}"] = getattr(stamps.dt, part).astype("float64")
        elif kind != "text":
            known = None if categories is None else categories.get(name)
            frame[name] = pd.Categorical(pd.Series(values).replace("", None), categories=known)
    frame = pd.DataFrame(frame)
    for name in frame.columns:
        if str(frame[name].dtype) == "category" and len(frame[name].cat.categories) > MAX_TREE_CATEGORIES:
            frame[name] = frame[name].cat.codes.replace(-1, np.nan).astype("float64")
    return frame


def _models(classification: bool, frame, seed: int) -> dict:
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    categorical = [c for c in frame.columns if str(frame[c].dtype) == "category"]
    numeric = [c for c in frame.columns if c not in categorical]
    encode = ColumnTransformer([
        ("numbers", make_pipeline(SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                                  StandardScaler()), numeric),
        ("categories", make_pipeline(SimpleImputer(strategy="constant", fill_value="(missing)"),
                                     OneHotEncoder(handle_unknown="ignore", min_frequency=3)), categorical),
    ])
    if classification:
        linear = LogisticRegression(max_iter=2000)
        trees = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=seed)
    else:
        linear = RidgeCV(alphas=np.logspace(-3, 3, 13))
        trees = HistGradientBoostingRegressor(categorical_features="from_dtype", random_state=seed)
    return {"linear": make_pipeline(encode, linear), "tree": trees}


def fit_baselines(train_columns, train_targets, types: dict[str, str], *, classification: bool, seed: int):
    """Fitted linear and gradient-boosted-tree models, and the category lists of the training split.

    Example:
        >>> fitted, categories = fit_baselines(columns, targets, types, classification=True, seed=0)  # doctest: +SKIP
        >>> sorted(fitted)                                                                               # doctest: +SKIP
        ['linear', 'tree']
    """
    import pandas as pd

    categories = {name: pd.Categorical(pd.Series(train_columns[name]).replace("", None)).categories
                  for name, kind in types.items() if kind in ("categorical", "boolean")}
    frame = baseline_frame(train_columns, types, categories)
    fitted = {}
    for name, model in _models(classification, frame, seed).items():
        fitted[name] = model.fit(frame, train_targets)
    return fitted, categories


def predict_baselines(fitted: dict, categories: dict, columns, types: dict[str, str]) -> dict[str, np.ndarray]:
    """Each fitted baseline's predictions (class ids or values) for `columns`."""
    frame = baseline_frame(columns, types, categories)
    return {name: np.asarray(model.predict(frame)) for name, model in fitted.items()}
