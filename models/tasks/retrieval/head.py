"""`model.head` options of the `retrieval` task: the towers' output, the in-batch softmax and the export's k.

Example (YAML):
    model:
      backbone: {source: builtin, name: mlp, config: {units: [64]}}
      head: {embedding_dim: 32, temperature: 0.1, hard_negatives: 0, top_k: 10}
"""

from __future__ import annotations

from pydantic import Field

from pipelines.options import NonNegativeInt, Options, PositiveFloat, PositiveInt


class RetrievalHead(Options):
    """Two towers (user, item) that end in unit-length embeddings, trained with an in-batch softmax."""

    id_embedding_dim: PositiveInt = Field(
        32, description="Width of the learned embedding of each user id and item id (the backbone's input).")
    embedding_dim: PositiveInt = Field(32, description="Width of the towers' output: a score is their dot product.")
    temperature: PositiveFloat = Field(
        0.1, description="Logits are the cosine similarities divided by this (lower: a sharper softmax).")
    hard_negatives: NonNegativeInt = Field(
        0, description="Keep only this many hardest in-batch negatives per row (keras_rs HardNegativeMining); "
                       "0 keeps them all (on the shipped spec, 20 fell to the most-popular baseline's NDCG@10).")
    remove_accidental_hits: bool = Field(
        True, description="Ignore in-batch negatives that are the row's own positive item (keras_rs "
                          "RemoveAccidentalHits).")
    popularity_correction: bool = Field(
        True, description="Subtract log(item's share of training interactions) from its logits (keras_rs "
                          "SamplingProbabilityCorrection), since in-batch negatives are drawn by popularity.")
    top_k: PositiveInt = Field(10, description="Items `serving_default` returns per user (`recommend` takes k).")
    recall_at: list[PositiveInt] = Field(
        [10, 50], min_length=1, description="The k of each held-out recall@k (NDCG@10 and MRR are always given).")
