"""Text documents in a folder with one sub-folder per class, one document per file.

Every file is read and decoded at load, so an undecodable or empty
(whitespace-only) file fails (or is skipped) before anything trains; it is
named by its path. Class names are the sorted sub-folder names; files are read
in sorted order, so the same folder always gives the same examples.

Example (YAML):
    data:
      source: {type: text_files, path: data/reviews, extensions: [.txt, .md]}
"""

from __future__ import annotations

from pydantic import Field, field_validator

from pipelines.options import Options
from pipelines.registry import sources


class TextFilesOptions(Options):
    path: str = Field(description="Folder with one sub-folder of text files per class; class names are the sorted sub-folder names.")
    extensions: list[str] = Field(
        default_factory=lambda: [".txt"], min_length=1,
        description="File extensions read as documents (case-insensitive); other files are ignored.",
    )
    encoding: str = Field(default="utf-8", description="Text encoding of the files (a Python codec name).")

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        return check_encoding(value)


@sources.register("text_files", TextFilesOptions)
def load_text_files(options: TextFilesOptions, *, on_bad_record: str = "error"):
    """Documents in class sub-folders (path/positive/1.txt, path/negative/2.txt), one example per file.

    Example:
        >>> import os, tempfile
        >>> root = tempfile.mkdtemp()
        >>> for name, text in [("pos/a.txt", "Great fun!"), ("neg/b.txt", "Dull."), ("neg/c.txt", "Awful.")]:
        ...     os.makedirs(os.path.dirname(os.path.join(root, name)), exist_ok=True)
        ...     _ = open(os.path.join(root, name), "w").write(text)
        >>> examples = load_text_files(TextFilesOptions(path=root))
        >>> examples.kind, examples.class_names, examples.labels.tolist(), examples.inputs[0]
        ('text', ['neg', 'pos'], [0, 0, 1], 'Dull.')
    """
    import os

    import numpy as np

    from data.errors import BadRecords
    from data.examples import Examples

    bad = BadRecords(on_bad_record)
    root = os.path.abspath(options.path)
    if not os.path.isdir(root):
        raise ValueError(f"text_files: {root} is not a folder")
    class_names = sorted(e.name for e in os.scandir(root) if e.is_dir() and not e.name.startswith("."))
    if not class_names:
        raise ValueError(
            f"text_files: no class sub-folders in {root}; put the documents of each class in a sub-folder named after it"
        )
    extensions = {"." + e.lower().lstrip(".") for e in options.extensions}
    files = {name: files_under(os.path.join(root, name), extensions) for name in class_names}
    for name, paths in files.items():
        if not paths:
            raise ValueError(
                f"text_files: class folder {os.path.join(root, name)} has no documents "
                f"(extensions: {', '.join(sorted(extensions))})"
            )
    texts, labels = [], []
    for label, name in enumerate(class_names):
        for path in files[name]:
            text, problem = read_text(path, options.encoding)
            if problem is None and not text.strip():
                problem = "empty document"
            if problem is not None:
                bad(path, problem)
                continue
            texts.append(text)
            labels.append(label)
    present = set(labels)
    for label, name in enumerate(class_names):
        if label not in present:
            raise ValueError(f"text_files: class folder {os.path.join(root, name)} has no readable documents")

    inputs = np.empty(len(texts), dtype=object)
    inputs[:] = texts
    return Examples(
        inputs, np.array(labels, dtype="int64"), class_names, skipped=bad.count, origin=f"text_files:{root}",
        skipped_records=bad.records, kind="text",
    )


def files_under(path: str, extensions: set[str]) -> list[str]:
    """Files under the folder `path` (recursively, hidden ones left out) ending with one of `extensions`, sorted.

    Example:
        >>> files_under("data/reviews/positive", {".txt"})  # doctest: +SKIP
        ['data/reviews/positive/001.txt', 'data/reviews/positive/002.txt']
    """
    import os

    found = []
    for parent, dirs, names in os.walk(path):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [
            os.path.join(parent, n) for n in names
            if not n.startswith(".") and os.path.splitext(n)[1].lower() in extensions
        ]
    return sorted(found)


def read_text(path: str, encoding: str) -> tuple[str, str | None]:
    """The text of the file at `path` (a leading byte-order mark dropped) and why it cannot be read, or None.

    Example:
        >>> read_text("/no/such/file.txt", "utf-8")[1]
        "cannot read: [Errno 2] No such file or directory: '/no/such/file.txt'"
    """
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as error:
        return "", f"cannot read: {error}"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        return "", f"cannot decode as {encoding}: {error.reason} at byte {error.start}"
    return text.removeprefix("\ufeff"), None


def check_encoding(value: str) -> str:
    """`value` when Python knows it as a text encoding; a ValueError otherwise.

    Example:
        >>> check_encoding("latin-1")
        'latin-1'
    """
    try:
        b"x".decode(value, errors="ignore")  # LookupError for unknown and non-text codecs (rot13, base64)
    except LookupError:
        raise ValueError(f"unknown text encoding {value!r}; e.g. utf-8, latin-1, cp1252") from None
    return value
