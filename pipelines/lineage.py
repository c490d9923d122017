"""Building on earlier runs: pin a spec's `model.backbone: {from_run: ...}` / `{from_model: ...}` source.

Before a run starts, the source is looked up and checked (the run exists and logged a Keras
model; the registered version exists), and the spec is pinned to it: `from_model`'s alias
becomes the version it points at now and `tracking_uri` the store it was found in, so the
logged spec (params, `spec.yaml`) reruns on the same weights. The new run is tagged with the
source run id (`kpipe.source_run_id`) and, for `from_model`, the version (`kpipe.source_model`).

Example:
    >>> spec, tags = resolve_lineage(load_spec("my_spec.yaml"))   # doctest: +SKIP
    >>> tags                                                       # doctest: +SKIP
    {'kpipe.source_run_id': '4b9e0c...', 'kpipe.source_model': 'models:/digits/3'}
"""

from __future__ import annotations

import sys

from models.backbones.from_run import FromRunOptions, resolve_source
from pipelines import tags as tag


def resolve_lineage(spec):
    """(`spec` with its backbone source pinned, the run tags naming it); a spec without one comes back as it is.

    Raises ValueError naming the key when the run or the model is not there, or logged no Keras model.
    """
    from pipelines.tracking_uri import resolve_tracking_uri

    backbone = spec.model.backbone
    if not isinstance(backbone, FromRunOptions):
        return spec, {}
    uri = backbone.tracking_uri or resolve_tracking_uri(spec.tracking.tracking_uri)
    source = resolve_source(backbone.model_copy(update={"tracking_uri": uri}))
    spec = spec.model_copy(deep=True)
    spec.model.backbone.tracking_uri = source.tracking_uri
    tags = {tag.SOURCE_RUN_ID: source.run_id}
    if source.model is not None:
        spec.model.backbone.from_model = source.model
        tags[tag.SOURCE_MODEL] = source.model
    print(f"Backbone from {source.describe()}, layer {backbone.layer or '(the whole model)'}", file=sys.stderr)
    return spec, tags
