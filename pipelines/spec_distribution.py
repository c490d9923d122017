"""The spec sections that spread training over processes and devices: `training.cluster` (the processes of a
multi-process JAX run) and `training.model_parallel` (variables sharded over a device mesh).

Example:
    >>> ModelParallelSpec(mesh={"model": 2}, layout_map={".*dense.*kernel": [None, "model"]}).mesh.batch
    'auto'
"""

from __future__ import annotations

from typing import Literal, Optional, Union

from pydantic import Field, model_validator

from pipelines.options import NonNegativeInt, Options, PositiveInt, auto_or_count
from pipelines.registry import suggest


class ClusterSpec(Options):
    """The processes of a multi-process JAX run (`training.strategy: multi_worker` on `training.backend: jax`).

    Each field left unset comes from the environment: Keras' `KERAS_DISTRIBUTION_JOB_ADDRESSES` (comma
    separated, the first is process 0), `KERAS_DISTRIBUTION_NUM_PROCESSES` and `KERAS_DISTRIBUTION_PROCESS_ID`,
    else TF_CONFIG (its first worker is the coordinator, its task index the process id), so one launcher
    serves both backends. Process 0 is the chief: it alone tracks in MLflow and exports.
    """

    coordinator: Optional[str] = Field(
        None, description="host:port of process 0, which every process connects to (JAX's coordinator service "
                          "listens there on process 0).", pattern=r"^\S+:\d{1,5}$"
    )
    num_processes: Optional[PositiveInt] = Field(None, description="How many processes train together.")
    process_id: Optional[NonNegativeInt] = Field(
        None, description="This process's index, 0 to num_processes - 1; 0 is the chief. Usually set per process "
                          "(`--set training.cluster.process_id=1` or KERAS_DISTRIBUTION_PROCESS_ID)."
    )

    @model_validator(mode="after")
    def _process_in_cluster(self):
        if None not in (self.process_id, self.num_processes) and self.process_id >= self.num_processes:
            raise ValueError(f"process_id: {self.process_id} is not below num_processes: {self.num_processes}")
        return self


MESH_AXES = ("batch", "model")


class MeshSpec(Options):
    """The device mesh of `training.model_parallel`: devices along the batch axis times along the model axis."""

    batch: auto_or_count(65536) = Field(
        "auto", description="Data-parallel replicas; auto: all devices divided by `model`."
    )
    model: PositiveInt = Field(2, description="Devices each variable sharded along the model axis is split over.")


class ModelParallelSpec(Options):
    """Variables sharded across devices (`keras.distribution.ModelParallel`), for models that do not fit one."""

    mesh: MeshSpec = Field(default_factory=MeshSpec)
    layout_map: Union[Literal["auto"], dict[str, list[Optional[str]]]] = Field(
        "auto", description="How each variable is sharded: {regex: [axis or null per dimension]}, the regex "
                            "matching the variable's whole path (e.g. {'.*dense.*kernel': [null, model]}); "
                            "variables no regex matches are replicated, one that two match is an error. auto: "
                            "the keras-hub backbone's own `get_layout_map(mesh)` (Gemma, Llama, Qwen, ...)."
    )

    @model_validator(mode="after")
    def _regexes_compile(self):
        if isinstance(self.layout_map, dict):
            import re

            if not self.layout_map:
                raise ValueError("layout_map: give at least one {regex: axes}, or auto")
            for pattern in self.layout_map:
                try:
                    re.compile(pattern)
                except re.error as error:
                    raise ValueError(f"layout_map: {pattern!r} is not a regular expression ({error})") from None
                wrong = [axis for axis in self.layout_map[pattern] if axis not in (*MESH_AXES, None)]
                if wrong:
                    raise ValueError(f"layout_map: {pattern!r}: axis {wrong[0]!r} is none of batch, model or "
                                     f"null{suggest(str(wrong[0]), list(MESH_AXES))}")
        return self
