"""Which Prefect API ``trainops run`` will use, said in its first progress line without importing
Prefect. With ``PREFECT_API_URL`` set (a running ``prefect server start``, or Prefect Cloud) that
server is reused; without it the first flow call starts Prefect's ephemeral server (a uvicorn child
process). ``benchmarks/run.py`` measures both costs (``startup`` in the results).
"""

from __future__ import annotations

import os


def describe() -> str:
    url = os.environ.get("PREFECT_API_URL")
    return f"server at {url}" if url else "an ephemeral server; set PREFECT_API_URL to reuse a running one"
