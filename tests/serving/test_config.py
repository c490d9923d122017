from __future__ import annotations

from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2

from serving.config import write_models_config


def parse(path):
    return text_format.Parse(path.read_text(), model_server_config_pb2.ModelServerConfig())


def test_models_config_lists_models_with_a_version(tmp_path):
    (tmp_path / "digits" / "1").mkdir(parents=True)
    (tmp_path / "draft" / ".tmp-1-x").mkdir(parents=True)  # no integer version yet
    (tmp_path / ".hidden" / "1").mkdir(parents=True)
    path = write_models_config(tmp_path, container_base="/srv/models")
    assert path == tmp_path / "models.config"
    (config,) = parse(path).model_config_list.config
    assert (config.name, config.base_path, config.model_platform) == (
        "digits",
        "/srv/models/digits",
        "tensorflow",
    )
    # No temporary file left beside it.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".hidden",
        "digits",
        "draft",
        "models.config",
    ]


def test_models_config_lists_the_published_export(published, tmp_path):
    config = parse(write_models_config(published["base"])).model_config_list.config
    assert [(c.name, c.base_path) for c in config] == [("tiny", "/models/tiny")]


def test_empty_base_still_gives_a_valid_config(tmp_path):
    config = parse(write_models_config(tmp_path))
    assert config.HasField("model_config_list")
    assert len(config.model_config_list.config) == 0
