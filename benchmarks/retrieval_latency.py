"""retrieval_latency: the exported `recommend` signature for one user over a 100,000-item index, against NumPy.

The export (the `retrieval` task's, `models.tasks.retrieval.export`) looks the
user id up, runs the user tower, scores every item of the index inside the
SavedModel (keras-rs `BruteForceRetrieval`'s scores), takes the top 10 and
maps them to item id strings. The baseline, measured in the same process, is
the fastest plain path over the very same item embeddings: NumPy's matrix
product of an already computed user embedding with them, `argpartition` and a
sort of the top 10. The ratio is baseline p50 / export p50 (1.0 means the
export costs nothing over NumPy; the tower and the id lookups are the export's
extra work). The towers are untrained: latency does not depend on the weights.

    python -m benchmarks.retrieval_latency
"""

import numpy as np

from benchmarks.common import in_scratch_folder, record
from benchmarks.serving_latency import latencies_ms

ITEMS = 100_000
USERS = 1_000
K = 10


@in_scratch_folder
def main() -> dict:
    from pathlib import Path

    import keras
    import tensorflow as tf

    from models.backbones.mlp import MlpOptions, mlp
    from models.tasks.retrieval.export import recommend_endpoints
    from models.tasks.retrieval.head import RetrievalHead
    from models.tasks.retrieval.model import build_two_tower
    from models.tasks.retrieval.scoring import item_embeddings
    from serving.publish import export_archive

    keras.utils.set_random_seed(0)
    head = RetrievalHead(top_k=K)
    users = [f"u{i:05d}" for i in range(USERS)]
    items = [f"i{i:06d}" for i in range(ITEMS)]
    shares = np.full(ITEMS, 1.0 / ITEMS)
    model = build_two_tower(mlp(MlpOptions(units=[64]), input_shape=(head.id_embedding_dim,)), users=users,
                            items=items, item_shares=shares, head=head)
    embeddings = item_embeddings(model, items)
    tracked, endpoints = recommend_endpoints(model, items, embeddings, np.arange(ITEMS), shares, K)
    export_archive(Path("export"), tracked, endpoints)
    recommend = tf.saved_model.load("export").signatures["recommend"]

    user = tf.constant(["u00042"])
    k = tf.constant(K)
    served = latencies_ms(lambda: recommend(user_ids=user, k=k))

    query = np.asarray(model.user_tower(user, training=False))[0]

    def numpy_top_k():
        scores = embeddings @ query
        top = np.argpartition(-scores, K)[:K]
        return top[np.argsort(-scores[top])]

    baseline = latencies_ms(numpy_top_k)
    expected = [items[i] for i in numpy_top_k()]
    answered = [v.decode() for v in recommend(user_ids=user, k=k)["item_ids"].numpy()[0]]
    assert answered == expected, (answered, expected)  # the same items: the comparison is fair
    return record("retrieval_latency", value=float(np.median(served)), baseline=float(np.median(baseline)),
                  unit="ms p50", ratio=float(np.median(baseline) / np.median(served)),
                  export_p99_ms=float(np.percentile(served, 99)), numpy_p99_ms=float(np.percentile(baseline, 99)),
                  items=ITEMS, k=K)


if __name__ == "__main__":
    main()
