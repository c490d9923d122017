"""A real, imbalanced text-classification corpus: docstring paragraphs of installed libraries, labelled by library.

Nobody here wrote these texts: they are the paragraphs (blank-line separated)
of the docstrings of the public modules, classes, methods and functions of a
few installed libraries, each labelled with the library it came from. The
default mix is uneven on purpose, like real labelled data: about 75% of the
paragraphs come from `numpy`, the rest from `scipy` (the same numpydoc style
and much the same vocabulary: the hard pair), `sklearn` and `json`. It is the
corpus the text defaults (`tokenize` statistics, `pipelines/specs/sentiment.yaml`)
were measured on.

The output is deterministic for a given seed and set of installed library
versions (modules, objects and paragraphs are visited in sorted order; the
sample is drawn with a seeded generator); another version of a library gives a
slightly different corpus.

Usage:
    python -m data.synthetic.docstrings /tmp/docstrings.csv [--seed 0]
    kpipe run pipelines/specs/sentiment.yaml --set data.source.path=/tmp/docstrings.csv

Example:
    >>> frame = docstring_corpus({"json": 12, "argparse": 4}, seed=0)
    >>> list(frame.columns), len(frame), frame["label"].value_counts().to_dict()
    (['text', 'label'], 16, {'json': 12, 'argparse': 4})
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
import re
import warnings
from collections.abc import Iterator
from types import ModuleType

import numpy as np

# Paragraphs drawn from each library (at most; fewer if it has fewer): ~75% numpy.
DEFAULT_COUNTS = {"numpy": 600, "scipy": 100, "sklearn": 60, "json": 40}
SKIPPED_PARTS = {"tests", "test", "testing", "conftest", "setup"}


def _modules(name: str) -> Iterator[ModuleType]:
    """The library and its public submodules (no `_private`, no test packages), in name order."""
    root = importlib.import_module(name)
    yield root
    if not hasattr(root, "__path__"):
        return
    found = pkgutil.walk_packages(root.__path__, f"{name}.", onerror=lambda _: None)
    for info in sorted(found, key=lambda info: info.name):
        parts = info.name.split(".")[1:]
        if any(part.startswith("_") or part in SKIPPED_PARTS for part in parts):
            continue
        try:
            yield importlib.import_module(info.name)
        except Exception:  # an optional dependency missing, a platform-only module
            continue


def _documented(name: str) -> Iterator[object]:
    """Public modules, then their public classes (and those classes' own methods) and functions, each once."""
    seen = set()
    for module in _modules(name):
        objects = [module]
        for attribute, value in sorted(vars(module).items()):
            owner = getattr(value, "__module__", None) or ""
            if attribute.startswith("_") or not (owner == name or owner.startswith(f"{name}.")):
                continue
            if inspect.isclass(value):
                objects.append(value)
                objects.extend(member for key, member in sorted(vars(value).items())
                               if not key.startswith("_") and inspect.isfunction(member))
            elif inspect.isfunction(value) or inspect.isbuiltin(value) or type(value).__name__ == "ufunc":
                objects.append(value)
        for value in objects:
            if id(value) not in seen:
                seen.add(id(value))
                yield value


def library_paragraphs(name: str, min_words: int = 8) -> list[str]:
    """Distinct docstring paragraphs of library `name` with at least `min_words` words (whitespace normalized).

    Doctest paragraphs (starting with `>>>`) are left out: they are code, not text.
    """
    paragraphs, seen = [], set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for value in _documented(name):
            try:
                doc = inspect.getdoc(value) or ""
            except Exception:
                continue
            for block in re.split(r"\n\s*\n", doc):
                text = " ".join(block.split())
                if len(text.split()) >= min_words and not text.startswith(">>>") and text not in seen:
                    seen.add(text)
                    paragraphs.append(text)
    return paragraphs


def docstring_corpus(counts: dict[str, int] | None = None, seed: int = 0, min_words: int = 8):
    """A DataFrame `text, label`: up to `counts[library]` paragraphs of each library, shuffled.

    A paragraph found in more than one library (an inherited or copied
    docstring) is left out: its label would be ambiguous.
    """
    import pandas as pd

    counts = DEFAULT_COUNTS if counts is None else counts
    found = {name: library_paragraphs(name, min_words) for name in counts}
    owners: dict[str, int] = {}
    for paragraphs in found.values():
        for text in paragraphs:
            owners[text] = owners.get(text, 0) + 1
    rng = np.random.default_rng(seed)
    rows = []
    for name, count in counts.items():
        unique = [text for text in found[name] if owners[text] == 1]
        chosen = sorted(rng.choice(len(unique), size=min(count, len(unique)), replace=False))
        rows.extend((unique[i], name) for i in chosen)
    order = rng.permutation(len(rows))
    return pd.DataFrame([rows[i] for i in order], columns=["text", "label"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("output", help="CSV file to write (columns text, label)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    frame = docstring_corpus(seed=args.seed)
    frame.to_csv(args.output, index=False)
    shares = (frame["label"].value_counts(normalize=True) * 100).round(1).to_dict()
    print(f"Wrote {len(frame)} paragraphs to {args.output}: % per label {shares}")


if __name__ == "__main__":
    main()
