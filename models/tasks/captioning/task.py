"""`captioning`: an image encoder with a Transformer decoder, trained with teacher forcing to write captions.

The source gives images with caption ids as labels and the distinct captions as `class_names` (the `captions`
source; a COCO file gives one example per caption, so an image with five captions is five examples). The split
keeps every caption of an image in one part (`data.split.split_by_group`), so no test image was seen in
training. The spec's backbone (after the spec's image stages) gives a feature map whose positions become image
tokens; the decoder (`model.head.decoder`) reads the caption's tokens (`model.head.tokenize`, learned from the
training captions only, saved inside the export) and attends to them (`models.tasks.captioning.model`).

Metrics (`models.tasks.captioning.metrics`): BLEU-4, CIDEr-D, ROUGE-L and exact match of the generated captions
against all of each image's captions, on `model.head.eval_samples` validation images after every epoch
(`val_cider_d` is the task's metric) and on every test image at the end, next to the nearest-neighbour caption
baseline (`models.tasks.captioning.baseline`: the caption of the closest training image in the trained
encoder's features). Each epoch writes the captions of `num_prompts` validation images to
`generations/epoch_NNN.csv`; the test captions go to `predictions.csv`.

Export (`models.tasks.captioning.export`): `serving_default(image_bytes)` -> `generated`, `num_tokens`, the
decoding loop inside the graph (greedy, beam, top-k, ...: `model.head.sampling`); `generate` overrides
max_new_tokens and temperature per request; the parity check compares `greedy` with the Keras model's.

Example (YAML):
    task: captioning
    data:
      source: {type: captions, folder: data/generated/captioned_shapes3, generate_shapes: true, objects: 3}
    stages: [{rescale: {scale: 0.00392156862745098}}]
    model:
      backbone: {source: builtin, name: cnn, config: {filters: [32, 64, 64]}}
      head: {tokenize: {tokenizer: word_piece, vocabulary_size: 64, sequence_length: 20}}
"""

from __future__ import annotations

import sys

import numpy as np

from models.tasks.base import Evaluation, Task
from models.tasks.captioning.head import CaptioningHead
from models.tasks.generation.task import TextGenerationTask
from pipelines.registry import tasks

CAPTION_BATCH = 128
"""Images captioned per call when scoring a split."""

NEAREST_POOL = 20_000
"""At most this many training images (a seeded sample) are the nearest-neighbour baseline's candidates."""


def images_with_references(examples) -> tuple[np.ndarray, list[list[str]]]:
    """(the index of each distinct image's first example, each image's captions), images in first-seen order.

    Example:
        >>> from data.examples import Examples
        >>> examples = Examples(np.array(["a.png", "b.png", "a.png"]), np.array([0, 1, 2]), ["x", "y", "z"])
        >>> images_with_references(examples)
        (array([0, 1]), [['x', 'z'], ['y']])
    """
    paths = np.asarray(examples.inputs).astype(str)
    _, first, group = np.unique(paths, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    references: list[list[str]] = [[] for _ in order]
    for index, label in enumerate(examples.labels):
        references[rank[group[index]]].append(examples.class_names[int(label)])
    return first[order], references


@tasks.register("captioning", CaptioningHead)
class CaptioningTask(TextGenerationTask):
    """Image in, caption out: an image encoder and a Transformer decoder (strings-out TF Serving export)."""

    input_name = "image_bytes"
    metric = "cider_d"
    direction = "max"
    sequence_length_is = "a caption's most tokens, start and end tokens included"
    sequence_length_from_data = True
    generates_each_epoch = True
    tokenize_example = "{tokenizer: word_piece, vocabulary_size: 2000, sequence_length: 24}"
    predict_arguments = Task.predict_arguments

    def __init__(self, spec):
        super().__init__(spec)
        self.input_shape = None
        self.model_input_shape = None
        self.encoder = None
        self.datasets = None
        self.tokens: dict = {}
        self.splits = None
        self._caption = None

    @classmethod
    def tokenize_options(cls, spec):
        """`model.head.tokenize`: the spec's stages preprocess images, so a tokenize stage is refused."""
        from pipelines.spec import keyed

        for index, item in enumerate(spec.stages):
            if keyed(item)[0] == "tokenize":
                raise ValueError(f"stages.{index}.tokenize: task captioning's stages preprocess the images; give "
                                 f"the captions' tokenizer as model.head.tokenize instead")
        return spec.model.head.tokenize

    @classmethod
    def tokenize_key(cls) -> str:
        return "model.head.tokenize"

    @classmethod
    def check_spec(cls, spec) -> None:
        """The tokenizer's rules (`TextGenerationTask.check_spec`), and the image tasks' loss."""
        super().check_spec(spec)
        if spec.training.loss != "auto":
            raise ValueError("training.loss: captioning trains on the cross-entropy of the next caption token; "
                             "use auto")

    # Data -------------------------------------------------------------------------------------

    def check(self, examples) -> None:
        """Fail early unless the source gives images with captions."""
        if examples.kind != "image" or len(examples.input_shape) != 3:
            raise ValueError(f"task captioning needs images with captions (data.source type captions); "
                             f"data.source gives {examples.kind} examples of shape {examples.input_shape}")
        if examples.size < 3:
            raise ValueError(f"task captioning needs at least 3 captioned images to split; data.source gives "
                             f"{examples.size}")

    def split(self, examples, seed: int) -> tuple:
        """Train, validation and test parts by image: an image's captions stay together."""
        from data.split import split_by_group

        split = self.spec.data.split
        return split_by_group(examples, examples.inputs, split.validation, split.test, seed=seed)

    def prepare(self, examples, train) -> None:
        """The image shape the export decodes to; the tokenizer learned from the training captions; every
        caption's tokens; warnings for captions the tokenizer's length or the sampler's cut."""
        import tensorflow as tf

        from data.stages.tokenize import tokenize

        self.input_shape = examples.input_shape
        captions = np.asarray(examples.class_names, object).astype(str)
        self.encoder = tokenize(self.head.tokenize).layer
        self.encoder.adapt(tf.data.Dataset.from_tensor_slices(captions[train.labels]).batch(1024))
        if self.encoder.vocabulary.start_id is None or self.encoder.vocabulary.end_id is None:
            raise ValueError("model.head.tokenize: task captioning needs a tokenizer with start and end tokens "
                             "(word_piece, byte_pair or sentence_piece)")
        tokens = self.encoder(tf.constant(captions))
        self.tokens = {"token_ids": np.asarray(tokens["token_ids"], "int32"),
                       "padding_mask": np.asarray(tokens["padding_mask"], bool)}
        for warning in self.length_warnings(list(captions[np.unique(train.labels)])):
            print(warning, file=sys.stderr)
        print(f"captioning: {len(np.unique(train.inputs))} training images, {len(captions)} distinct captions, "
              f"{self.encoder.vocabulary_size} tokens in the vocabulary", file=sys.stderr)

    def length_warnings(self, captions: list[str]) -> list[str]:
        """What the training captions lose to the tokenizer's sequence_length and to max_new_tokens.

        Example:
            >>> task.length_warnings(["a very long caption ..."])   # doctest: +SKIP
            ['captioning: 3 of 900 training captions are longer than model.head.tokenize.sequence_length ...']
        """
        from data.text.encoder import token_counts

        counts = token_counts(self.encoder.vocabulary, captions)
        length, most = self.encoder.sequence_length, self.head.sampling.max_new_tokens
        warnings = []
        cut = int((counts > length).sum())
        if cut:
            warnings.append(f"captioning: {cut} of {len(captions)} training captions are longer than "
                            f"model.head.tokenize.sequence_length ({length} tokens, start and end included; the "
                            f"longest has {int(counts.max())}) and are cut: raise it")
        if int(counts.max()) - 1 > most:
            warnings.append(f"captioning: the longest training caption has {int(counts.max()) - 2} tokens (and its "
                            f"end token), more than model.head.sampling.max_new_tokens ({most}) lets a caption "
                            f"have: raise it")
        return warnings

    def targets(self):
        """Teacher forcing: (the image and the caption without its last token, the caption without its start
        token, a weight per predicted token)."""
        import tensorflow as tf

        ids = tf.constant(self.tokens["token_ids"])
        mask = tf.constant(self.tokens["padding_mask"])

        def teacher_forcing(images, labels):
            caption, present = tf.gather(ids, labels), tf.gather(mask, labels)
            inputs = {"images": images, "decoder_token_ids": caption[:-1], "decoder_padding_mask": present[:-1]}
            return inputs, caption[1:], tf.cast(present[1:], tf.float32)

        return teacher_forcing

    def data_figures(self, datasets, examples) -> dict:
        """No figures; keeps the datasets (their image stages run inside the captioner)."""
        self.datasets = datasets
        return {}

    # Model ------------------------------------------------------------------------------------

    def build_model(self, backbone, input_shape):
        """The image encoder (the backbone's feature map as tokens) and the text decoder, as one model."""
        from models.tasks.captioning.model import build_captioner

        self.model_input_shape = tuple(input_shape)
        model = build_captioner(backbone, input_shape, self.encoder.vocabulary_size, self.encoder.sequence_length,
                                self.head.decoder, self.spec.name.replace("-", "_"))
        tokens = model.get_layer("image_encoder").output.shape[1]
        print(f"captioning: {tokens} image tokens per image, {model.count_params():,} parameters", file=sys.stderr)
        return model

    # Generation -------------------------------------------------------------------------------

    def generator_class(self):
        """`Captioner`, decoding images of the source's shape."""
        import functools

        from models.tasks.captioning.export import Captioner

        return functools.partial(Captioner, image_shape=self.input_shape)

    def captions(self, model, examples) -> tuple[list[str], list[int]]:
        """(captions, token counts) of `examples`' images with the spec's sampler, preprocessed as in training."""
        import tensorflow as tf

        from data.dataset import model_inputs

        if self._caption is None or self._caption[0] is not model:
            signature = [tf.TensorSpec([None, *self.model_input_shape], tf.float32)]  # after the stages
            self._caption = (model, tf.function(self.generator(model).caption, input_signature=signature))
        texts, counts = [], []
        for start in range(0, examples.size, CAPTION_BATCH):
            chunk = examples.subset(np.arange(start, min(start + CAPTION_BATCH, examples.size)))
            out = self._caption[1](tf.constant(model_inputs(chunk, self.datasets), tf.float32))
            texts += [t.decode("utf-8", errors="replace") for t in out["generated"].numpy()]
            counts += out["num_tokens"].numpy().tolist()
        return texts, counts

    def lowercase(self) -> bool:
        """Whether the tokenizer lowercases (the model can then only write lowercase)."""
        vocabulary = self.encoder.vocabulary
        return bool(vocabulary.lowercase_inputs or getattr(vocabulary.tokenizer, "lowercase", False))

    def scored(self, model, examples, most: int | None = None) -> tuple[dict[str, float], list, list, list]:
        """(BLEU-4, CIDEr-D, ROUGE-L and exact match, the images' indices, captions, references) of the first
        `most` distinct images of `examples` (all by default)."""
        from models.tasks.captioning.metrics import caption_scores

        first, references = images_with_references(examples)
        first, references = first[:most], references[:most]
        texts, counts = self.captions(model, examples.subset(first))
        return caption_scores(texts, references, self.lowercase()), first, list(zip(texts, counts)), references

    def epoch_report(self, model, epoch: int, datasets, splits) -> Evaluation:
        """`val_cider_d` (and BLEU-4, ROUGE-L, exact match) of `eval_samples` validation images, and the captions
        of `num_prompts` of them, every epoch."""
        self.splits = splits
        validation = splits[1]
        if not validation.size:
            return Evaluation()
        metrics = {}
        if self.head.eval_samples:
            scores, *_ = self.scored(model, validation, self.head.eval_samples)
            metrics = {f"val_{name}": value for name, value in scores.items()}
        return Evaluation(metrics, tables={f"generations/epoch_{epoch + 1:03d}.csv":
                                           self.table(model, validation, self.head.num_prompts)})

    def table(self, model, examples, most: int) -> str:
        """CSV text of the first `most` distinct images: image, references (" | "), generated, num_tokens."""
        _, first, generated, references = self.scored(model, examples, most)
        return captions_table(examples.inputs[first], references, generated)

    # Evaluation -------------------------------------------------------------------------------

    def calibrate(self, model, datasets, splits) -> None:
        """Keeps the splits and datasets."""
        self.splits, self.datasets = splits, datasets

    def nearest_neighbour(self, model, train, held_out) -> list[str]:
        """The nearest-neighbour baseline's caption for each distinct held-out image (in `images_with_references`
        order): the first caption of the closest of at most `NEAREST_POOL` training images."""
        from data.dataset import model_inputs
        from models.tasks.captioning.baseline import flat_features, nearest_captions, projection

        encoder = model.get_layer("image_encoder")
        matrix = projection(int(encoder.output.shape[1] * encoder.output.shape[2]), seed=self.spec.seed)

        def features(examples):
            first, references = images_with_references(examples)
            parts = [flat_features(encoder.predict(model_inputs(examples.subset(first[start:start + CAPTION_BATCH]),
                                                                self.datasets), verbose=0), matrix)
                     for start in range(0, len(first), CAPTION_BATCH)]
            return np.concatenate(parts), references

        if len(np.unique(train.inputs)) > NEAREST_POOL:
            chosen = np.random.default_rng(self.spec.seed).choice(train.size, NEAREST_POOL, replace=False)
            train = train.subset(np.sort(chosen))
        train_features, train_references = features(train)
        held_features, _ = features(held_out)
        return nearest_captions(train_features, [refs[0] for refs in train_references], held_features)

    def evaluate(self, model, dataset, train, held_out) -> Evaluation:
        """Held-out BLEU-4, CIDEr-D, ROUGE-L and exact match beside the nearest-neighbour caption's; token loss
        and accuracy; the held-out captions (`predictions.csv`)."""
        from models.tasks.captioning.metrics import caption_scores
        from models.tasks.verdict import beat_baselines

        scores, first, generated, references = self.scored(model, held_out)
        metrics = {f"test_{name}": value for name, value in scores.items()}
        nearest = caption_scores(self.nearest_neighbour(model, train, held_out), references, self.lowercase())
        metrics.update({f"test_nearest_neighbour_{name}": value for name, value in nearest.items()})
        scores = model.evaluate(dataset, verbose=0, return_dict=True)
        metrics.update({f"test_{name}": float(value) for name, value in scores.items()})
        verdicts = beat_baselines("CIDEr-D", metrics["test_cider_d"],
                                  {"nearest-neighbour caption": metrics["test_nearest_neighbour_cider_d"]},
                                  higher_is_better=True)
        verdicts.append(f"On {len(first)} held-out images: exact match {metrics['test_exact_match']:.4g} "
                        f"(nearest neighbour {nearest['exact_match']:.4g}), BLEU-4 {metrics['test_bleu_4']:.4g} "
                        f"({nearest['bleu_4']:.4g}), ROUGE-L {metrics['test_rouge_l']:.4g} "
                        f"({nearest['rouge_l']:.4g}).")
        metrics.update(unseen_scores([text for text, _ in generated], references,
                                     {train.class_names[int(label)] for label in train.labels}, self.lowercase()))
        if metrics["test_unseen_caption_share"]:
            verdicts.append(f"{metrics['test_unseen_caption_share']:.1%} of the held-out images have no caption "
                            f"seen in training (a nearest-neighbour caption is never right there); on them, exact "
                            f"match {metrics['test_exact_match_on_unseen']:.4g}.")
        tables = {"predictions.csv": captions_table(held_out.inputs[first], references, generated)}
        return Evaluation(metrics, tables=tables, verdicts=verdicts)


def unseen_scores(captions: list[str], references: list[list[str]], seen: set[str],
                  lowercase: bool = True) -> dict[str, float]:
    """`test_unseen_caption_share`: the share of images none of whose references is a training caption; and
    `test_exact_match_on_unseen`: exact match on those images alone (NaN when there are none).

    Example:
        >>> unseen_scores(["a b", "c d"], [["a b"], ["c d"]], {"a b"})
        {'test_unseen_caption_share': 0.5, 'test_exact_match_on_unseen': 1.0}
    """
    from models.tasks.captioning.metrics import exact_match, normalize_caption

    known = {normalize_caption(text, lowercase) for text in seen}
    unseen = [index for index, refs in enumerate(references)
              if not {normalize_caption(text, lowercase) for text in refs} & known]
    share = len(unseen) / len(references) if references else float("nan")
    if not unseen:
        return {"test_unseen_caption_share": share, "test_exact_match_on_unseen": float("nan")}
    return {"test_unseen_caption_share": share, "test_exact_match_on_unseen": exact_match(
        [normalize_caption(captions[i], lowercase) for i in unseen],
        [[normalize_caption(text, lowercase) for text in references[i]] for i in unseen])}


def captions_table(images, references, generated) -> str:
    """CSV text with the columns image, references (joined by " | "), generated, num_tokens.

    Example:
        >>> print(captions_table(["a.png"], [["a cat", "a pet"]], [("a cat", 3)]).strip())
        image,references,generated,num_tokens
        a.png,a cat | a pet,a cat,3
    """
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["image", "references", "generated", "num_tokens"])
    for image, refs, (text, count) in zip(images, references, generated):
        writer.writerow([str(image), " | ".join(refs), text, int(count)])
    return out.getvalue()
