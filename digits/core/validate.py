"""Type and range checks behind the params loader; each failure is one PipelineError line."""

import difflib
import operator
import re
import types
from collections.abc import Collection, Mapping
from typing import Any, Literal, Union, get_args, get_origin

from digits.core.errors import PipelineError

SHA256_HEX = re.compile(r"[0-9a-f]{64}")
COMPARISONS = {"ge": (">=", operator.ge), "gt": (">", operator.gt), "le": ("<=", operator.le), "lt": ("<", operator.lt)}


def check_mapping(raw: Any, where: str, known: Collection[str], required: bool = False) -> None:
    """`raw` must be a mapping whose keys are all in `known` (and, if required, all present)."""
    if not isinstance(raw, Mapping):
        raise PipelineError(f"{where}: must be a mapping of keys to values, got {type_name(raw)}")
    for key in raw:
        if key not in known:
            raise PipelineError(f"{where}: unknown key '{key}'{suggest(key, known)}")
    missing = [key for key in known if key not in raw] if required else []
    if missing:
        raise PipelineError(f"{where}: missing key '{missing[0]}'")


def suggest(key: Any, known: Collection[str]) -> str:
    close = difflib.get_close_matches(str(key), list(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else f" (expected one of: {', '.join(known)})"


def type_name(value: Any) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"[:80]


def coerce(value: Any, hint: Any, key: str, meta: Mapping[str, Any]) -> Any:
    """Check `value` against the type `hint` and range `meta`; return it in canonical form."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        return coerce_union(value, args, key, meta)
    if origin is Literal:
        if value not in args:
            raise PipelineError(f"{key}: must be one of {', '.join(map(repr, args))}, got {type_name(value)}")
        return value
    if origin is tuple:
        return coerce_list(value, args[0], key, meta)
    if origin is dict:
        return coerce_hashes(value, key, meta)
    return check_range(coerce_scalar(value, hint, key), key, meta)


def coerce_union(value: Any, options: tuple[Any, ...], key: str, meta: Mapping[str, Any]) -> Any:
    literals = [a for opt in options if get_origin(opt) is Literal for a in get_args(opt)]
    if value in literals and not isinstance(value, bool):
        return value
    scalar = next(opt for opt in options if get_origin(opt) is not Literal)
    try:
        return coerce(value, scalar, key, meta)
    except PipelineError:
        if isinstance(value, str):
            raise PipelineError(
                f"{key}: must be {scalar.__name__} or one of {literals}, got {type_name(value)}"
            ) from None
        raise


def coerce_scalar(value: Any, hint: type, key: str) -> Any:
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, hint) and not (hint is int and isinstance(value, bool)):
        return value
    raise PipelineError(f"{key}: must be {hint.__name__}, got {type_name(value)}")


def check_range(value: Any, key: str, meta: Mapping[str, Any]) -> Any:
    for name, (symbol, passes) in COMPARISONS.items():
        if name in meta and not passes(value, meta[name]):
            raise PipelineError(f"{key}: must be {symbol} {meta[name]}, got {value!r}")
    return value


def coerce_list(value: Any, item: type, key: str, meta: Mapping[str, Any]) -> tuple[Any, ...]:
    if not isinstance(value, list | tuple):  # a tuple: the params a checkpoint recorded (the adapt stage reads them)
        raise PipelineError(f"{key}: must be a list of {item.__name__}, got {type_name(value)}")
    if meta.get("nonempty") and not value:
        raise PipelineError(f"{key}: must not be empty")
    if "length" in meta and len(value) != meta["length"]:
        raise PipelineError(f"{key}: must have {meta['length']} items, got {len(value)}")
    return tuple(coerce(v, item, f"{key}[{i}]", meta) for i, v in enumerate(value))


def coerce_hashes(value: Any, key: str, meta: Mapping[str, Any]) -> dict[str, str]:
    """A mapping from each expected name to a lowercase SHA-256 hex digest."""
    check_mapping(value, key, known=meta["keys"], required=True)
    for name, digest in value.items():
        if not isinstance(digest, str) or not SHA256_HEX.fullmatch(digest):
            raise PipelineError(
                f"{key}.{name}: must be a 64-digit lowercase SHA-256 hex string, got {type_name(digest)}"
            )
    return dict(value)
