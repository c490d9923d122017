"""`dual_encoder`: CLIP-style contrastive training of an image tower and a text tower on image/caption pairs.

The source gives images with caption ids as labels and the distinct captions
as `class_names` (the `captions` source). The image tower is the spec's
backbone (after the spec's image stages), pooled and projected; the text tower
(`model.head.text`: built-in Transformer blocks or a keras-hub text backbone)
reads the captions tokenized by `model.head.tokenize` (learned from the
training captions only, or a keras-hub preset's; saved inside the export);
both end in unit-length embeddings, trained with CLIP's symmetric InfoNCE and
a learned temperature (`models.tasks.dual_encoder.model`). The spec's
`model.trainable` applies to the image backbone; a text backbone always trains.

A keras-hub CLIP or SigLIP model as `model.backbone` (`{source: keras_hub,
name: CLIPBackbone | SigLIPBackbone, preset | config}`) is used whole as both
towers, its vision side and its text side, with the preset's image converter
inside the image tower (`models.tasks.dual_encoder.joint`); `model.trainable`
then applies to both.

Metrics (`models.tasks.dual_encoder.scoring`): text-to-image and
image-to-text recall@k (`model.head.recall_at`) on the validation split after
every epoch and on the test split at the end; `t2i_recall_at_1` is the task's
metric. Several images may share a caption: text to image, each distinct
caption queries the split's images and a hit is an image with that caption;
image to text, each image queries the split's distinct captions. The
verdict compares text-to-image recall@1 with a random ranking's. With
`model.head.class_prompts`, zero-shot accuracy on the test split: an image's
class is the one class name its caption names as a word, predicted as the
class whose prompt is most similar (images whose caption names none or
several are left out; `test_zero_shot_images` counts those scored).

Export (`models.tasks.dual_encoder.export`): `embed_image` (= `serving_default`),
`embed_text` and `zero_shot`. The parity check: the export's image embeddings
equal the Keras image tower's.

Example (YAML):
    task: dual_encoder
    data:
      source: {type: captions, folder: data/generated/captioned_shapes, generate_shapes: true, count: 2880}
    stages: [{rescale: {scale: 0.00392156862745098}}]
    model:
      backbone: {source: builtin, name: cnn, config: {filters: [32, 64, 64]}}
      head: {embedding_dim: 64, image_pooling: flatten, tokenize: {vocabulary_size: 64, sequence_length: 12}}
"""

from __future__ import annotations

import sys

import numpy as np

from models.tasks.base import Evaluation, Task
from models.tasks.dual_encoder.head import DualEncoderHead
from models.tasks.dual_encoder.joint import check_image_shape, check_joint_spec, is_joint
from pipelines.registry import tasks


@tasks.register("dual_encoder", DualEncoderHead)
class DualEncoderTask(Task):
    """Image and text towers trained together (CLIP), measured by recall@k both ways."""

    input_name = "image_bytes"
    metric = "t2i_recall_at_1"
    direction = "max"
    backends = ("tensorflow",)
    backend_notes = {"jax": "its train_step is written with TensorFlow's GradientTape and its tokenizer is a "
                            "TensorFlow graph"}

    def __init__(self, spec):
        super().__init__(spec)
        self.input_shape = None
        self.encoder = None
        self.tokens: dict = {}
        self.tests: dict[str, float] = {}

    @classmethod
    def check_spec(cls, spec) -> None:
        """The spec's stages preprocess images: captions are tokenized by `model.head.tokenize`."""
        from pipelines.spec import keyed

        super().check_spec(spec)
        for index, item in enumerate(spec.stages):
            if keyed(item)[0] == "tokenize":
                raise ValueError(f"stages.{index}.tokenize: task dual_encoder's stages preprocess the images; "
                                 f"give the captions' tokenizer as model.head.tokenize instead")
        if spec.training.loss != "auto":
            raise ValueError("training.loss: dual_encoder trains on its symmetric InfoNCE; use auto")
        if is_joint(spec.model.backbone):
            check_joint_spec(spec)
        else:
            cls._check_text_backbone(spec.model.head)

    @staticmethod
    def _check_text_backbone(head) -> None:
        """A keras-hub text tower fits its tokenizer: a preset's needs the preset's tokenizer; a config's
        `vocabulary_size` and `max_sequence_length`, where set, hold what `tokenize` sets (rechecked at build
        time against the tokenizer's actual sizes)."""
        backbone, tokenize = head.text.backbone, head.tokenize
        if backbone is None:
            return
        key = "model.head.text.backbone"
        if backbone.preset is not None:
            if tokenize.preset is None:
                raise ValueError(f"model.head.tokenize.preset: {key}.preset {backbone.preset} reads its own "
                                 f"tokenizer's ids; set model.head.tokenize.preset: {backbone.preset} (the same "
                                 f"preset)")
            return
        trained_size = None if tokenize.preset else tokenize.vocabulary_size  # a preset's size is known later
        for name, asked, tokens in (("vocabulary_size", "vocabulary_size", trained_size),
                                    ("max_sequence_length", "sequence_length", tokenize.sequence_length)):
            given = backbone.config.get(name)
            if isinstance(given, int) and tokens is not None and given < tokens:
                raise ValueError(f"{key}.config.{name}: {given} is less than model.head.tokenize.{asked} "
                                 f"{tokens}; raise it, or leave it out to get the tokenizer's")

    # Data -------------------------------------------------------------------------------------

    def check(self, examples) -> None:
        """Fail early unless the source gives images with captions (caption ids, the captions as class names)."""
        if examples.kind != "image" or len(examples.input_shape) != 3:
            raise ValueError(f"task dual_encoder needs images with captions (data.source type captions); "
                             f"data.source gives {examples.kind} examples of shape {examples.input_shape}")
        if examples.num_classes < 2:
            raise ValueError(f"task dual_encoder needs at least 2 distinct captions, got {examples.class_names}")

    def split(self, examples, seed: int) -> tuple:
        """Train, validation and test parts by image: an image's captions (a COCO file gives several) stay
        together, so no held-out image was seen in training."""
        from data.split import split_by_group

        split = self.spec.data.split
        return split_by_group(examples, examples.inputs, split.validation, split.test, seed=seed)

    def prepare(self, examples, train) -> None:
        """The image shape the export decodes to; the tokenizer learned from the training captions; every
        caption's tokens."""
        import tensorflow as tf

        from data.stages.tokenize import tokenize

        self.input_shape = examples.input_shape
        captions = np.asarray(examples.class_names, object)
        self.encoder = tokenize(self.head.tokenize).layer
        self.encoder.adapt(tf.data.Dataset.from_tensor_slices(captions[train.labels].astype(str)).batch(1024))
        tokens = self.encoder(tf.constant(captions.astype(str)))
        self.tokens = {"token_ids": np.asarray(tokens["token_ids"], "int32"),
                       "padding_mask": np.asarray(tokens["padding_mask"], bool)}
        print(f"dual_encoder: {len(captions)} distinct captions, {len(np.unique(train.labels))} in the training "
              f"split, {self.encoder.sequence_length} tokens each", file=sys.stderr)

    def targets(self):
        """(image, caption id): the model looks the caption's tokens up itself."""
        return lambda images, labels: (images, labels)

    # Model ------------------------------------------------------------------------------------

    def backbone_input_shape(self, input_shape):
        """The images' shape; a joint model from a config is first checked to take it (square, its
        `image_shape`)."""
        if is_joint(self.spec.model.backbone):
            check_image_shape(self.spec.model.backbone, input_shape)
        return input_shape

    def build_model(self, backbone, input_shape):
        """`DualEncoder` of the image tower (the backbone) and the text tower, or of a joint model's two sides
        (its learned temperature from a preset, unless `model.head.temperature` is set)."""
        from models.tasks.dual_encoder.joint_model import joint_towers
        from models.tasks.dual_encoder.model import DualEncoder, build_image_tower, build_text_tower

        head, options = self.head, self.spec.model.backbone
        temperature = head.temperature
        if is_joint(options):
            image_tower, text_tower, scale = joint_towers(backbone, options, input_shape,
                                                          self.encoder.vocabulary_size, self.encoder.sequence_length)
            if options.preset is not None and "temperature" not in head.model_fields_set:
                temperature = 1 / scale
        else:
            image_tower = build_image_tower(backbone, input_shape, head.embedding_dim, head.image_pooling)
            text_tower = build_text_tower(self.encoder.vocabulary_size, self.encoder.sequence_length, head.text,
                                          head.embedding_dim)
        return DualEncoder(image_tower, text_tower, self.tokens, temperature=temperature,
                           name=self.spec.name.replace("-", "_"))

    def compile_options(self) -> dict:
        """No loss to compile: the model's train_step computes InfoNCE."""
        return {}

    def logged_model(self, model, sample):
        """MLflow logs the image tower."""
        return model.image_tower, sample

    # Evaluation -------------------------------------------------------------------------------

    def retrieval(self, model, datasets, examples) -> dict[str, float]:
        """Recall@k both ways on `examples` (see `models.tasks.dual_encoder.scoring`)."""
        from models.tasks.dual_encoder.scoring import retrieval_metrics

        images = self.image_embeddings(model, datasets, examples)

        def captions(ids):
            tokens = {name: value[ids] for name, value in self.tokens.items()}
            return model.text_tower.predict(tokens, batch_size=256, verbose=0)

        return retrieval_metrics(images, np.asarray(examples.labels), captions, self.head.recall_at)

    def image_embeddings(self, model, datasets, examples) -> np.ndarray:
        """The image tower's embeddings [N, D] of `examples`, preprocessed as in training (no augmentation)."""
        from data.dataset import model_inputs

        return np.asarray(model.image_tower.predict(model_inputs(examples, datasets), batch_size=256, verbose=0))

    def zero_shot(self, model, datasets, examples) -> dict[str, float]:
        """`zero_shot_accuracy` and `zero_shot_images` (scored) of `model.head.class_prompts` on `examples`."""
        import tensorflow as tf

        from models.tasks.dual_encoder.scoring import zero_shot_accuracy

        classes = list(self.head.class_prompts)
        tokens = self.encoder(tf.constant([self.head.class_prompts[name] for name in classes]))
        prompts = np.asarray(model.text_tower({"token_ids": tokens["token_ids"],
                                               "padding_mask": tokens["padding_mask"]}, training=False))
        captions = [examples.class_names[label] for label in examples.labels]
        accuracy, scored = zero_shot_accuracy(self.image_embeddings(model, datasets, examples), captions, prompts,
                                              classes)
        return {"zero_shot_accuracy": accuracy, "zero_shot_images": float(scored)}

    def epoch_report(self, model, epoch: int, datasets, splits) -> Evaluation:
        """Recall@k both ways on the validation split, each epoch (`val_t2i_recall_at_1` among them)."""
        if not splits[1].size:
            return Evaluation()
        return Evaluation({f"val_{k}": v for k, v in self.retrieval(model, datasets, splits[1]).items()})

    def calibrate(self, model, datasets, splits) -> None:
        """Recall@k both ways on the test split (the validation split when there is no test split)."""
        from models.tasks.dual_encoder.scoring import chance_t2i_recall_at_1

        held = splits[2] if splits[2].size else splits[1]
        self.tests = {f"test_{k}": v for k, v in self.retrieval(model, datasets, held).items()}
        self.tests["test_chance_t2i_recall_at_1"] = chance_t2i_recall_at_1(held.labels)
        self.tests["test_logit_scale"] = float(model.scale().numpy())
        if self.head.class_prompts:
            self.tests.update({f"test_{k}": v for k, v in self.zero_shot(model, datasets, held).items()})

    def evaluate(self, model, dataset, train, held_out) -> Evaluation:
        """The InfoNCE loss and recall@k on the test split, against a random ranking."""
        from models.tasks.verdict import beat_baselines

        scores = model.evaluate(dataset, return_dict=True, verbose=0)
        metrics = {f"test_{k}": float(v) for k, v in scores.items()}
        metrics.update(self.tests)
        verdicts = beat_baselines("text-to-image recall@1", metrics["test_t2i_recall_at_1"],
                                  {"random ranking": metrics["test_chance_t2i_recall_at_1"]}, higher_is_better=True)
        return Evaluation(metrics, verdicts=verdicts)

    # Export -----------------------------------------------------------------------------------

    def export_endpoints(self, model, datasets) -> tuple[list, dict]:
        """`embed_image` (= `serving_default`), `embed_text` and `zero_shot` (`models.tasks.dual_encoder.export`)."""
        from models.tasks.dual_encoder.export import dual_endpoints

        return dual_endpoints(model, self.encoder, self.input_shape, datasets)

    def reference(self, model, datasets, requests) -> np.ndarray:
        """The Keras image tower's embeddings of the same bytes the export gets."""
        import tensorflow as tf

        from data.images import decode_image

        images = tf.stack([decode_image(r[self.input_name][0], self.input_shape) for r in requests])
        return np.asarray(model.image_tower(datasets.preprocess(images), training=False))

    def parity(self, served: dict, reference: np.ndarray) -> dict[str, float]:
        """Largest absolute difference between the export's image embeddings and the Keras image tower's."""
        return {"export_parity_max_abs_diff": float(np.abs(np.asarray(served["embedding"]) - reference).max())}
