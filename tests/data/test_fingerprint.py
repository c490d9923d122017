"""fingerprint: a content hash of labels, inputs and class names."""

import numpy as np

from data.examples import Examples
from data.fingerprint import fingerprint


def _examples(inputs=None, labels=(0, 1, 1), names=("a", "b")):
    inputs = np.arange(12, dtype=np.uint8).reshape(3, 2, 2, 1) if inputs is None else inputs
    return Examples(inputs, np.array(labels), list(names))


def test_same_content_same_hash_any_change_another():
    base = fingerprint(_examples())
    assert len(base) == 64 and int(base, 16) >= 0
    assert fingerprint(_examples()) == base
    assert fingerprint(_examples(labels=(1, 0, 1))) != base
    assert fingerprint(_examples(names=("a", "c"))) != base
    changed = np.arange(12, dtype=np.uint8).reshape(3, 2, 2, 1)
    changed[2, 1, 1, 0] = 99
    assert fingerprint(_examples(inputs=changed)) != base


def test_file_inputs_hash_file_bytes(tmp_path):
    def files(folder, contents):
        folder.mkdir()
        paths = []
        for i, content in enumerate(contents):
            (folder / f"{i}.png").write_bytes(content)
            paths.append(str(folder / f"{i}.png"))
        return Examples(np.array(paths), np.array([0, 1]), ["a", "b"], decode=lambda p: p, image_shape=(2, 2, 1))

    here = fingerprint(files(tmp_path / "here", [b"one", b"two"]))
    assert fingerprint(files(tmp_path / "there", [b"one", b"two"])) == here  # where they lie does not count
    assert fingerprint(files(tmp_path / "other", [b"one", b"TWO"])) != here
    assert fingerprint(files(tmp_path / "swapped", [b"two", b"one"])) != here
