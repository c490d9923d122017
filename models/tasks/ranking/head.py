"""`model.head` options of the `ranking` task: the id embeddings, the interaction, the negatives, the protocol.

Example (YAML):
    model:
      backbone: {source: builtin, name: mlp, config: {units: [64, 32]}}
      head: {id_embedding_dim: 32, interaction: cross, cross_layers: 2, negatives: 4, candidates: 100}
"""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from pipelines.options import Options, PositiveInt


class RankingHead(Options):
    """User and item embeddings, crossed (DCN-v2 `FeatureCross`) or dotted (`DotInteraction`), then the backbone
    and a one-unit score; trained on observed interactions against sampled unseen items."""

    id_embedding_dim: PositiveInt = Field(
        32, description="Width of the learned embedding of each user id and item id (with feature tables: of the "
                        "id's embedding joined by its features).")
    interaction: Literal["cross", "dot"] = Field(
        "cross", description="cross: `cross_layers` keras-rs FeatureCross layers (DCN-v2) over the concatenated "
                             "user and item vectors; dot: keras-rs DotInteraction (their dot product, DLRM) "
                             "joined to them.")
    cross_layers: PositiveInt = Field(2, description="FeatureCross layers stacked (interaction: cross).")
    projection_dim: Optional[PositiveInt] = Field(
        None, description="Low-rank FeatureCross kernels of this rank (interaction: cross); default: full rank.")
    negatives: PositiveInt = Field(
        4, description="Items sampled per observed interaction as negatives, uniformly among the items the user "
                       "has no training interaction with (resampled every step, seeded by the spec's `seed`).")
    objective: Literal["pointwise", "pairwise"] = Field(
        "pointwise", description="pointwise: binary cross-entropy, observed 1, sampled 0; pairwise: BPR, "
                                 "softplus(negative's score - positive's score).")
    target: Literal["implicit", "rating"] = Field(
        "implicit", description="implicit: an interaction is a positive (1), a sampled item a negative (0); "
                                "rating: the interaction's rating (data.source.rating_column) is the target and a "
                                "sampled item's is 0, with a squared error (objective: pointwise only).")
    candidates: PositiveInt = Field(
        100, ge=2, description="Evaluation ranks each held-out item among this many items: it and the rest drawn "
                               "(seeded by the spec's `seed`) from the items the user never interacted with "
                               "(fewer where the corpus is smaller).")
