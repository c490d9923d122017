"""`backup_and_restore`: back up training state every epoch so `kpipe run --resume` continues.

Example (YAML):
    callbacks: [backup_and_restore]
"""

from pipelines.options import NoOptions
from pipelines.registry import callbacks


@callbacks.register("backup_and_restore", NoOptions)
def backup_and_restore(options: NoOptions, *, context):
    """Back up weights and optimizer state each epoch to `<work_dir>/backup` (keras BackupAndRestore).

    The backup before the last is kept beside it (`double_checkpoint`): a process killed while it wrote
    the weights resumes from the epoch before instead of failing on a half-written file.

    In a multi-process JAX run only process 0 backs up and restores; every other process takes its state
    when training starts (`pipelines.jax_cluster.cluster_backup_and_restore`). Under TF_CONFIG the same: the
    other workers take the chief's weights and epoch when training starts (`pipelines.distributed_fit`), so
    they back up nothing (a worker killed mid-write left a file that broke `--resume`).
    """
    import keras

    from pipelines.jax_cluster import chief_process, cluster_backup_and_restore
    from pipelines.strategy import worker_role

    joined = chief_process()
    if joined is not None:
        return cluster_backup_and_restore(str(context.work_dir / "backup"), chief=joined[0])
    if not worker_role()[0]:
        return keras.callbacks.Callback()
    return keras.callbacks.BackupAndRestore(str(context.work_dir / "backup"), save_freq="epoch", double_checkpoint=True)
