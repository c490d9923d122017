from __future__ import annotations

import os
import subprocess
import sys
import threading

import numpy as np
import pytest
import tensorflow as tf

from serving import publish
from serving.publish import export_archive, next_version, publish_version, remove_stale_temporaries


def write_marker(directory):
    (directory / "saved_model.pb").write_bytes(b"fake")


def entries(model_dir):
    return sorted(child.name for child in model_dir.iterdir())


def test_next_version_ignores_non_integer_folders(tmp_path):
    assert next_version(tmp_path / "missing") == 1
    for name in ["1", "7", ".tmp-1-x", "latest", "3"]:
        (tmp_path / name).mkdir()
    (tmp_path / "9").write_text("a file, not a version")
    assert next_version(tmp_path) == 8


def test_bytes_in_export_round_trips(published, tiny_model, make_png):
    assert published["version_dir"] == published["model_dir"] / "1"
    loaded = tf.saved_model.load(str(published["version_dir"]))
    signature = loaded.signatures["serving_default"]
    # The signature's input key is the TensorSpec's name: what REST clients send.
    assert list(signature.structured_input_signature[1]) == ["image_bytes"]
    assert set(signature.structured_outputs) == {"probabilities", "class_ids", "class_names"}
    assert "classify" in loaded.signatures

    pngs = [make_png(10), make_png(11)]
    outputs = signature(image_bytes=tf.constant(pngs))
    pixels = np.stack([tf.io.decode_png(png).numpy() for png in pngs]).astype("float32") / 255.0
    expected = tiny_model.predict(pixels, verbose=0)
    np.testing.assert_allclose(outputs["probabilities"].numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(outputs["class_ids"].numpy(), expected.argmax(-1))


def test_export_archive_default_picks_the_serving_default(tmp_path, tiny_model, endpoint):
    float_endpoint = (
        lambda pixels: {"probabilities": tiny_model(pixels)},
        [tf.TensorSpec([None, 4, 4, 1], tf.float32, name="pixels")],
    )
    endpoints = {"pixels": float_endpoint, "classify": endpoint}
    export_archive(tmp_path, [tiny_model], endpoints, default="classify")
    signatures = tf.saved_model.load(str(tmp_path)).signatures
    assert list(signatures["serving_default"].structured_input_signature[1]) == ["image_bytes"]
    assert list(signatures["pixels"].structured_input_signature[1]) == ["pixels"]


def test_export_archive_rejects_unnamed_inputs_and_unknown_default(tmp_path, tiny_model, endpoint):
    fn, _ = endpoint
    with pytest.raises(ValueError, match="needs a name"):
        unnamed = [tf.TensorSpec([None], tf.string)]
        export_archive(tmp_path / "a", [tiny_model], {"serve": (fn, unnamed)})
    with pytest.raises(ValueError, match="not one of"):
        export_archive(tmp_path / "b", [tiny_model], {"serve": endpoint}, default="nope")


@pytest.mark.parametrize("failing", ["write", "verify"])
def test_failure_leaves_no_version_and_no_temporary(tmp_path, failing):
    def boom(directory):
        write_marker(directory)
        raise RuntimeError("boom")

    write, verify = (boom, None) if failing == "write" else (write_marker, boom)
    with pytest.raises(RuntimeError, match="boom"):
        publish_version(tmp_path, "m", write, verify)
    assert entries(tmp_path / "m") == []


def test_empty_write_is_refused(tmp_path):
    with pytest.raises(ValueError, match="empty"):
        publish_version(tmp_path, "m", lambda directory: None)
    assert entries(tmp_path / "m") == []


def test_concurrent_publishers_get_distinct_complete_versions(tmp_path, monkeypatch):
    # Both threads pick their version number before either renames, so they
    # collide on "1" and the loser must move on to "2".
    both_picked = threading.Barrier(2, timeout=10)
    first_pick = threading.local()
    real_next_version = publish.next_version

    def next_version_then_wait(model_dir):
        version = real_next_version(model_dir)
        if not getattr(first_pick, "done", False):
            first_pick.done = True
            both_picked.wait()
        return version

    monkeypatch.setattr(publish, "next_version", next_version_then_wait)
    results, errors = {}, []

    def publisher(name):
        try:
            write = lambda directory: (directory / "saved_model.pb").write_text(name)
            results[name] = publish_version(tmp_path, "m", write)
        except BaseException as err:  # surfaced below
            errors.append(err)

    threads = [threading.Thread(target=publisher, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(path.name for path in results.values()) == ["1", "2"]
    assert entries(tmp_path / "m") == ["1", "2"]
    for name, path in results.items():
        assert (path / "saved_model.pb").read_text() == name


def test_stale_temporary_of_dead_process_is_removed_live_one_kept(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )  # finished and reaped: its pid is no longer alive
    model_dir = tmp_path / "m"
    stale = model_dir / f".tmp-{int(dead.stdout)}-abc"
    live = model_dir / f".tmp-{os.getpid()}-def"
    other = model_dir / ".tmp-notapid"
    for folder in (stale, live, other):
        folder.mkdir(parents=True)
        write_marker(folder)

    assert remove_stale_temporaries(model_dir) == [stale]
    stale.mkdir()
    publish_version(tmp_path, "m", write_marker)
    assert entries(model_dir) == sorted(["1", live.name, other.name])
