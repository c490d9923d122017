"""The sampler a spec sets for generation (`model.head.sampling`), built as a keras-hub sampler.

Samplers are registered by name in `SAMPLERS` (the only extension point): `greedy`, `top_k`, `top_p`,
`random` (plain sampling from the softmax) and `beam` (beam search: the most likely sequence among `num_beams`
kept at each step). `temperature` divides the logits first (greedy ignores it).

Example (YAML):
    model:
      head:
        sampling: {sampler: top_k, k: 10, temperature: 0.8, max_new_tokens: 32, stop_tokens: ["."]}
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pipelines.options import Options, PositiveFloat, PositiveInt


def _greedy(options):
    import keras_hub

    return keras_hub.samplers.GreedySampler()


def _top_k(options):
    import keras_hub

    return keras_hub.samplers.TopKSampler(k=options.k, seed=options.seed, temperature=options.temperature)


def _top_p(options):
    import keras_hub

    return keras_hub.samplers.TopPSampler(p=options.p, k=options.k, seed=options.seed,
                                          temperature=options.temperature)


def _random(options):
    import keras_hub

    return keras_hub.samplers.RandomSampler(seed=options.seed, temperature=options.temperature)


def _beam(options):
    import keras_hub

    return keras_hub.samplers.BeamSampler(num_beams=options.num_beams, temperature=options.temperature)


SAMPLERS = {"greedy": _greedy, "top_k": _top_k, "top_p": _top_p, "random": _random, "beam": _beam}
"""Sampler name -> builder of a keras-hub sampler from `SamplingOptions`."""


class SamplingOptions(Options):
    """How new tokens are chosen: the sampler and when to stop."""

    sampler: Literal["greedy", "top_k", "top_p", "random", "beam"] = Field(
        "greedy", description="greedy (the most likely token), top_k (sample among the k most likely), top_p "
                              "(sample among the most likely tokens whose probabilities add up to p), random, or "
                              "beam (beam search over num_beams sequences).")
    k: PositiveInt | None = Field(None, le=100_000, description="top_k: how many tokens to sample among (default "
                                                                "10); top_p: an optional cap on them.")
    num_beams: PositiveInt = Field(4, le=64, description="beam: the sequences kept at each step.")
    p: float = Field(0.9, gt=0, le=1, description="top_p: the probability mass to sample in.")
    temperature: PositiveFloat = Field(1.0, description="Divides the logits before sampling (<1: surer, >1: "
                                                        "more varied); greedy ignores it.")
    max_new_tokens: PositiveInt = Field(32, le=8192, description="Most tokens generated per prompt (also capped by "
                                                                 "the tokenize stage's sequence_length).")
    stop_tokens: list[str] = Field(default_factory=list, description="Tokens (as the tokenizer spells them) that end "
                                                                     "a generation besides the tokenizer's end token.")
    seed: int | None = Field(None, description="Seed of the random samplers (default: the spec's seed).")
    jit_compile: bool = Field(False, description="Compile the decoding loop with XLA, as keras-hub's generate does "
                                                 "(faster; compiled again for each new batch shape). TF Serving on "
                                                 "CPU then needs --xla_cpu_compilation_enabled.")


def build_sampler(options: SamplingOptions, seed: int = 0):
    """The keras-hub sampler `options` name, seeded with `options.seed` or `seed`.

    Example:
        >>> type(build_sampler(SamplingOptions(sampler="top_k", k=5))).__name__
        'TopKSampler'
    """
    if options.sampler == "top_k" and options.k is None:
        options = options.model_copy(update={"k": 10})
    if options.seed is None:
        options = options.model_copy(update={"seed": seed})
    return SAMPLERS[options.sampler](options)


def greedy(options: SamplingOptions | None = None) -> SamplingOptions:
    """`options` (default: the defaults) with greedy decoding: what parity checks compare, since the export and
    the Keras model must then generate the same tokens (same max_new_tokens and stop tokens).

    Example:
        >>> greedy(SamplingOptions(sampler="top_k", max_new_tokens=8)).model_dump(include={"sampler", "max_new_tokens"})
        {'sampler': 'greedy', 'max_new_tokens': 8}
    """
    return (options or SamplingOptions()).model_copy(update={"sampler": "greedy"})
