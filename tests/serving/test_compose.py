"""serving/docker-compose.yml runs the TF Serving release of the TensorFlow that writes the exports."""

import re
from importlib import metadata

import yaml

from tests.helpers import REPO

COMPOSE = REPO / "serving" / "docker-compose.yml"


def installed_tensorflow() -> str:
    """The installed TensorFlow's version, from its distribution (tensorflow, or a CPU/Intel build)."""
    for name in ("tensorflow", "tensorflow-cpu", "tensorflow-intel", "tensorflow-macos"):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    raise AssertionError("no TensorFlow distribution installed")


def major_minor(version: str) -> tuple[int, int]:
    match = re.match(r"(\d+)\.(\d+)", version)
    assert match, f"not a version: {version!r}"
    return int(match[1]), int(match[2])


def test_the_tf_serving_image_matches_the_installed_tensorflow():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    image = services["tf-serving"]["image"]
    repository, _, tag = image.partition(":")
    assert repository == "tensorflow/serving" and tag, f"pin a tensorflow/serving tag, got {image!r}"
    assert re.fullmatch(r"\d+\.\d+\.\d+(-gpu)?", tag), f"pin a release tag (e.g. 2.21.0), got {tag!r}"
    tensorflow = installed_tensorflow()
    assert major_minor(tag) == major_minor(tensorflow), (
        f"{COMPOSE.name} runs {image} but TensorFlow {tensorflow} writes the exports: use the "
        f"tensorflow/serving release of TensorFlow {'.'.join(map(str, major_minor(tensorflow)))}"
    )
