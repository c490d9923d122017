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


def _image_folder(root, seeds=((0, 1), (2, 3))):
    """root/a and root/b, each with two 4x4 PNGs drawn from `seeds`."""
    from PIL import Image

    for name, pair in zip("ab", seeds):
        (root / name).mkdir(parents=True, exist_ok=True)
        for seed in pair:
            pixels = np.random.default_rng(seed).integers(0, 256, (4, 4, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"{seed}.png")
    return root


def test_image_folder_fingerprint_uses_the_digests_read_at_load(tmp_path):
    from data.sources.image_folder import ImageFolderOptions, load_image_folder

    def load(root):
        return load_image_folder(ImageFolderOptions(path=str(root), image_size=[4, 4]))

    root = _image_folder(tmp_path / "data")
    examples = load(root)
    assert set(examples.file_digests) == set(examples.inputs.tolist())
    base = fingerprint(examples)
    assert fingerprint(load(root)) == base  # nothing changed
    unrecorded = Examples(examples.inputs, examples.labels, examples.class_names, examples.decode,
                          examples.image_shape)
    assert fingerprint(unrecorded) == base  # the recorded digests are the files' own: same fingerprint as reading
    (root / "b" / "3.png").write_bytes((root / "b" / "3.png").read_bytes() + b"\0")  # one file's bytes change
    assert fingerprint(load(root)) != base


def test_image_folder_reads_each_file_once_load_and_fingerprint_together(tmp_path, monkeypatch):
    import builtins

    from data.sources.image_folder import ImageFolderOptions, load_image_folder

    root = _image_folder(tmp_path / "data")
    opened, real_open = [], builtins.open

    def counting_open(file, *args, **kwargs):
        if str(file).startswith(str(root)):
            opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    examples = load_image_folder(ImageFolderOptions(path=str(root), image_size=[4, 4]))
    fingerprint(examples)
    assert sorted(opened) == sorted(examples.inputs.tolist())  # each image once, by the source


def test_detection_sources_read_each_image_once_and_record_its_digest(tmp_path, monkeypatch):
    import builtins
    import dataclasses

    from data.sources.coco import CocoOptions, load_coco
    from data.synthetic.shapes import write_shapes

    shapes = write_shapes(str(tmp_path / "shapes"), count=6, formats=["coco"])
    opened, real_open = [], builtins.open

    def counting_open(file, *args, **kwargs):
        if str(file).endswith(".png"):
            opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    examples = load_coco(CocoOptions(path=shapes.sources["coco"]["path"]))
    recorded = fingerprint(examples)
    assert sorted(opened) == sorted(examples.inputs.tolist())  # each image once, by the source
    monkeypatch.setattr(builtins, "open", real_open)
    assert fingerprint(dataclasses.replace(examples, file_digests=None)) == recorded  # the files' own digests
