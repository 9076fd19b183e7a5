"""Connector options as pydantic models, and the value types their keys share.

A source's keys in ``trainops.yaml`` are validated once, when the configuration is loaded
(``pipeline/config.py``), against its kind's options model (``connectors/registry.py``); a connector
receives the validated model. Validators raise ``PydanticCustomError`` with a short message that
``pipeline/config.py`` turns into one line naming the file and the key.

Secrets are never in the file: a ``SecretEnv`` holds the NAME of the environment variable, and is
resolved to a ``SecretStr`` only when the connector builds its HTTP client. A missing variable is a
``SourceError`` naming the variable, never a value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, GetCoreSchemaHandler, SecretStr, model_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError, core_schema

from connectors.base import SourceError
from connectors.http import HttpClient, RetryPolicy

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def invalid(message: str, *, field: str | None = None) -> PydanticCustomError:
    """A validation error whose message is shown as it is; ``field`` (a key below the one being
    validated, e.g. ``workers`` or ``[2].name``) is appended to the key path the error names."""
    return PydanticCustomError("trainops", message, {"field": field} if field else None)


def shown(value: Any) -> str:
    """A value as an error message may quote it (short)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class SecretEnv(str):
    """The NAME of an environment variable holding a secret (a key, a token, a password, a webhook
    URL). Validation never echoes what it was given: a value in its place may be the secret."""

    def resolve(self, source: str, option: str, env: Mapping[str, str]) -> SecretStr:
        value = env.get(self)
        if value is None or value == "":
            raise SourceError(f"source {source!r}: environment variable {self} (option {option}) is not set")
        return SecretStr(value)

    @classmethod
    def _validate(cls, value: Any) -> SecretEnv:
        if isinstance(value, str) and ENV_NAME.match(value):
            return cls(value)
        raise invalid(
            "expected the NAME of an environment variable holding the secret, not the secret itself "
            "(keep secrets out of this file)"
        )

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls._validate, serialization=core_schema.plain_serializer_function_ser_schema(str)
        )


# -- value types -------------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def number(minimum: float = 0.0, *, above: bool = False, maximum: float | None = None) -> Callable[[Any], float]:
    """A check for a number ≥ ``minimum`` (> with ``above``), at most ``maximum``."""
    bound = f"> {minimum:g}" if above else f"≥ {minimum:g}"
    if maximum is not None:
        bound = f"between {minimum:g} and {maximum:g}"

    def check(value: Any) -> float:
        if not _is_number(value) or value < minimum or (above and value == minimum):
            raise invalid(f"expected a number {bound}, got {shown(value)}")
        if maximum is not None and value > maximum:
            raise invalid(f"expected a number {bound}, got {shown(value)}")
        return float(value)

    return check


def whole_number(minimum: int = 0) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise invalid(f"expected a whole number ≥ {minimum}, got {shown(value)}")
        return int(value)

    return check


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|seconds?|m|min|minutes?|h|hours?|d|days?)?\s*$", re.IGNORECASE)
_ISO_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration_seconds(value: Any) -> float:
    """A duration: a number of seconds, ``"90s"``, ``"5m"``, ``"2h"``, ``"7d"`` or ISO ``"PT5M"``."""
    if _is_number(value) and value >= 0:
        return float(value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return float(match[1]) * _UNIT_SECONDS[(match[2] or "s")[0].lower()]
        iso = _ISO_DURATION.match(value.strip())
        if iso and any(iso.groups()):
            days, hours, minutes, seconds = (float(group or 0) for group in iso.groups())
            return days * 86400 + hours * 3600 + minutes * 60 + seconds
    raise invalid(f'expected a duration such as 300, "5m", "2h", "7d" or "PT5M", got {shown(value)}')


def http_url(value: Any) -> str:
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return value
    raise invalid("expected an http:// or https:// URL")


def text(value: Any) -> str:
    """Text; a number written where text is meant (``version: 1.0``) is taken as written."""
    if isinstance(value, str):
        return value
    if _is_number(value):
        return str(value)
    raise invalid(f"expected text, got {shown(value)}")


def text_list(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid(f"expected a list, got {shown(value)}")
    return [text(item) for item in value]


def mapping(value: Any) -> dict[Any, Any]:
    """A mapping; an empty key (``params:`` with nothing after it) is an empty mapping."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid(f"expected a mapping, got {shown(value)}")
    return value


def _tls(value: Any) -> bool | str:
    if isinstance(value, bool | str):
        return value
    raise invalid(f"expected true, false or a CA bundle path, got {shown(value)}")


Seconds = Annotated[float, BeforeValidator(number(0.0))]
Timeout = Annotated[float, BeforeValidator(number(0.001))]
Rate = Annotated[float, BeforeValidator(number(0.0, above=True))]
Duration = Annotated[float, BeforeValidator(duration_seconds)]
WholeNumber = Annotated[int, BeforeValidator(whole_number(0))]
Count = Annotated[int, BeforeValidator(whole_number(1))]
HttpUrl = Annotated[str, BeforeValidator(http_url)]
Text = Annotated[str, BeforeValidator(text)]
TextList = Annotated[list[str], BeforeValidator(text_list)]
TextMap = Annotated[dict[str, str], BeforeValidator(mapping)]
Params = Annotated[dict[str, Any], BeforeValidator(mapping)]
VerifyTls = Annotated[bool | str, BeforeValidator(_tls)]


# -- models ------------------------------------------------------------------------------------------


def check_keys(fields: Mapping[str, FieldInfo], data: Mapping[Any, Any], kind: str | None = None) -> None:
    """Name the first unknown key, then the first missing required one (with its description)."""
    names = sorted(fields, key=lambda name: (name not in ("name", "kind"), list(fields).index(name)))
    for key in data:
        if key not in fields:
            if kind is not None:
                raise invalid(f"unknown key for kind {kind} (known: {', '.join(names)})", field=str(key))
            listed = f"{', '.join(names[:-1])} or {names[-1]}" if len(names) <= 3 else f"one of: {', '.join(names)}"
            raise invalid(f"unknown key (expected {listed})", field=str(key))
    for name in names:
        if fields[name].is_required() and name not in data:
            hint = f": {fields[name].description}" if fields[name].description else ""
            raise invalid(f"required for kind {kind}{hint}" if kind else f"required{hint}", field=name)


class StrictModel(BaseModel):
    """Frozen; an unknown key, or a required one left out, is an error naming that key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _known_and_required_keys(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            check_keys(cls.model_fields, data)
        return data


class ConnectorOptions(StrictModel):
    """Base of every kind's options."""


class HttpOptions(ConnectorOptions):
    """The options every API kind takes: timeouts, retries and the request-rate budget."""

    connect_timeout: Timeout = 10.0  # seconds
    timeout: Timeout = 60.0  # read timeout, seconds
    request_deadline: Duration = 300.0  # one request, its whole body included (a trickle is a timeout)
    source_deadline: Duration | None = None  # every request and retry of one extraction (default: none)
    max_retries: WholeNumber = 4  # retries after the first attempt
    backoff: Seconds = 1.0  # first backoff, seconds, doubling
    retry_after_max: Seconds = 300.0  # longest Retry-After honoured, seconds
    requests_per_second: Rate | None = None  # request-rate budget (default: none)
    verify_tls: VerifyTls = True  # true, false, or a CA bundle path

    def client(self, source: str, **settings: Any) -> HttpClient:
        """An ``HttpClient`` with these timeouts, retries, rate budget and TLS setting; ``settings``
        (``base_url``, ``auth``, ``headers``, ``secrets``, ``auth_hint``, test hooks such as
        ``sleep``) go to it as they are."""
        retry = RetryPolicy(attempts=self.max_retries + 1, backoff=self.backoff, retry_after_max=self.retry_after_max)
        own = {
            "connect_timeout": self.connect_timeout,
            "read_timeout": self.timeout,
            "deadline": self.request_deadline,
            "budget": self.source_deadline,
            "retry": retry,
            "min_interval": 1.0 / self.requests_per_second if self.requests_per_second else 0.0,
            "verify": self.verify_tls,
        }
        return HttpClient(source, **{**own, **settings})
