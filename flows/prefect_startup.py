"""Which Prefect API ``trainops run`` will use, said in its first progress line without importing
Prefect. With ``PREFECT_API_URL`` set (a running ``prefect server start``, or Prefect Cloud) that
server is reused; without it the first flow call starts Prefect's ephemeral server (a uvicorn child
process). ``benchmarks/run.py`` measures both costs (``startup`` in the results).
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit


def shown_url(url: str) -> str:
    """The URL without its userinfo (``https://user:pass@host/api`` → ``https://host/api``), its
    query and fragment, so a credential in it never reaches the terminal."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        return "(an unparseable PREFECT_API_URL)"
    host = f"[{host}]" if ":" in host else host
    return urlunsplit((parts.scheme, host + port, parts.path, "", ""))


def describe() -> str:
    url = os.environ.get("PREFECT_API_URL")
    return f"server at {shown_url(url)}" if url else "an ephemeral server; set PREFECT_API_URL to reuse a running one"
