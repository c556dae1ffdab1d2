"""Old import paths of classes and modules that moved (issue 11's layering).

Outputs written before the move name classes by path: job specs (``runner``,
``provider``), Hydra configs (``_target_``) and ``plan.json`` keys. :func:`resolve_class`
imports such a path, mapping a moved module to its new place, so resuming an existing
output keeps working. Add a row whenever a public class moves; never remove one.
"""

from __future__ import annotations

import importlib
from typing import Any

MOVED_MODULES = {
    "espnet3_prep.shards": "espnet3_prep.storage.shards",
    "espnet3_prep.atomic_batch": "espnet3_prep.storage.files",
    "espnet3_prep.writeback": "espnet3_prep.storage.writeback",
    "espnet3_prep.lock": "espnet3_prep.storage.lock",
    "espnet3_prep.datadir.status": "espnet3_prep.storage.status",
    "espnet3_prep.progress": "espnet3_prep.driver.progress",
    "espnet3_prep.runner.sinks": "espnet3_prep.execution.sinks",
    "espnet3_prep.runner.execute": "espnet3_prep.execution.task",
    "espnet3_prep.runner.retry": "espnet3_prep.execution.retry",
    "espnet3_prep.runner.timeout": "espnet3_prep.execution.timeout",
    "espnet3_prep.runner.file_progress": "espnet3_prep.execution.file_progress",
    "espnet3_prep.runner.schedule": "espnet3_prep.driver.schedule",
    "espnet3_prep.parallel.options": "espnet3_prep.backends.options",
    "espnet3_prep.parallel.cluster": "espnet3_prep.backends.dask_cluster",
    "espnet3_prep.parallel.jobqueue": "espnet3_prep.backends.jobqueue",
    "espnet3_prep.parallel.dask_jobqueue_import": "espnet3_prep.backends.dask_jobqueue_import",
    "espnet3_prep.backends.local": "espnet3_prep.backends.inprocess",
    "espnet3_prep.detached": "espnet3_prep.errors",
    "espnet3_prep.detached.specs": "espnet3_prep.backends.detached.specs",
    "espnet3_prep.detached.book": "espnet3_prep.backends.detached.book",
    "espnet3_prep.detached.schedulers": "espnet3_prep.backends.detached.schedulers",
    "espnet3_prep.detached.submit": "espnet3_prep.driver.submit",
    "espnet3_prep.detached.status": "espnet3_prep.driver.status",
    "espnet3_prep.detached.app": "espnet3_prep.prep.detached",
}
"""Old module -> the module that holds its classes now."""
RENAMED_CLASSES = {
    "espnet3_prep.backends.local.LocalBackend": "espnet3_prep.backends.inprocess.InProcessBackend",
}
"""Old class path -> new class path, for classes that also changed their name."""


def resolve_class(path: str) -> type:
    """The class named by ``path`` (``module.QualName``), also at its pre-move path."""
    target = RENAMED_CLASSES.get(path, path)
    module, _, name = target.rpartition(".")
    try:
        return _load(module, name)
    except (ImportError, AttributeError) as exc:
        new = MOVED_MODULES.get(module)
        if new is None:
            raise ImportError(f"cannot import class {path!r}: {exc}") from exc
        return _load(new, name)


def _load(module: str, name: str) -> Any:
    obj: Any = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    if not isinstance(obj, type):
        raise ImportError(f"{module}.{name} is not a class")
    return obj
