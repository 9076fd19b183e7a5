"""Ralph's own FastAPI app, with its file-system backend appending to the statements file.

Served by ``tests/lrs/ralph.sh`` (``uvicorn ralph_fs_append:app``). ralph-malph 5.1.0's fs backend
writes with the CREATE operation: the first POST creates ``data/fs_lrs.jsonl`` and every later POST
or PUT fails with HTTP 500 ("already exists and overwrite is not allowed"). Making APPEND the
backend's default operation is the only change; the app itself is Ralph's, unchanged.
"""

from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend

FSLRSBackend.default_operation_type = BaseOperationType.APPEND

from ralph.api import app  # noqa: E402  (imported after the switch, which it reads at request time)

__all__ = ["app"]
