"""pydantic's validation errors as the one-line messages of ``trainops.yaml`` errors: the key path a
user wrote (``sources[2].url``) and a short message (``expected an http:// or https:// URL``).

Messages of our own validators (``connectors/options.py`` ``invalid``) are shown as they are; the
few pydantic error types a YAML file can trigger get the same wording, quoting the value. A key that
names a secret's environment variable (``SecretEnv``) validates itself and never quotes the value.
"""

from __future__ import annotations

import re

from pydantic import ValidationError

from connectors.options import shown

_TYPE_WORDS = {
    "bool": "true or false",
    "int": "a whole number",
    "float": "a number",
    "string": "text",
    "dict": "a mapping",
    "list": "a list",
    "tuple": "a list",
    "model": "a mapping",
    "dataclass": "a mapping",
}


def first_error(exc: ValidationError, tags: frozenset[str] = frozenset()) -> tuple[str, str]:
    """The first error as (key path, message): ``sources[2].url``, ``expected an http:// …``.
    ``tags`` are the values of the sources' discriminator (``kind``), which pydantic puts in the
    error's location and a user never wrote."""
    error = exc.errors(include_url=False)[0]
    context = error.get("ctx") or {}
    key = _key_path(error["loc"], context.get("field"), tags)
    kind = error["type"]
    if kind == "trainops":
        return key, error["msg"]
    if kind == "literal_error":
        expected = re.findall(r"'([^']*)'", str(context.get("expected", "")))
        return key, f"expected one of {', '.join(expected)}, got {shown(error['input'])}"
    if kind == "missing":
        return key, "required"
    word = _TYPE_WORDS.get(kind.split("_")[0])
    if word and kind.endswith(("_type", "_parsing", "_attributes_type")):
        return key, f"expected {word}, got {shown(error['input'])}"
    return key, error["msg"]


def _key_path(loc: tuple[int | str, ...], field: str | None, tags: frozenset[str]) -> str:
    """``('sources', 2, 'xapi_lrs', 'url')`` → ``sources[2].url`` (the union's kind tag left out);
    ``field`` is a key below ``loc`` named by the error itself (``workers``, ``[2].name``)."""
    out = ""
    previous: int | str | None = None
    for step in loc:
        if isinstance(step, int):
            out += f"[{step}]"
        elif not (isinstance(previous, int) and step in tags):
            out += f".{step}" if out else str(step)
        previous = step
    if field:
        out += field if field.startswith("[") or not out else f".{field}"
    return out or "(top level)"
