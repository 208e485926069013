"""JSON as the database can store it: strict decoding (no ``NaN``, ``Infinity`` or numbers
beyond a float's range, which PostgreSQL's jsonb refuses) and a check for text it cannot
store (NUL characters, lone surrogates). Pure: used by every JSON entry point."""

import json
import math
from typing import Any


class NonFiniteNumber(ValueError):
    """``NaN``, ``Infinity`` or a number beyond a float's range: not storable as JSON."""


def _refuse_constant(name: str) -> Any:
    raise NonFiniteNumber(f"{name} is not a JSON number.")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise NonFiniteNumber(f"The number {text[:40]} is too large.")
    return number


def json_decode(raw: bytes | str) -> Any:
    """Strict JSON: ``NaN``, ``Infinity`` and numbers too large for a float (``1e999``)
    are refused (``ValueError``), as PostgreSQL's jsonb refuses them."""
    return json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)


def _unstorable(text: str, nul: bool = True) -> str | None:
    if nul and "\x00" in text:
        return "a NUL character (\\u0000)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "a lone surrogate (such as \\ud800), which is not valid Unicode"
    return None


def unstorable_text_at(value: Any, *, nul: bool = True) -> tuple[str, str] | None:
    """Where text PostgreSQL's text and jsonb cannot store sits in a decoded JSON document,
    and what it is: ``("alerts[0].labels.env", "a NUL character (\\u0000)")`` for a NUL
    (unless ``nul`` is False) or a lone surrogate in a key or a string; None when there is
    none. The path is printable (a surrogate in a key is written escaped). Iterative, so any
    depth the decoder accepted is walked without recursion."""
    pending: list[tuple[Any, str]] = [(value, "")]
    while pending:
        item, where = pending.pop()
        if isinstance(item, str):
            problem = _unstorable(item, nul)
            if problem:
                return _printable(where or "(document)"), problem
        elif isinstance(item, dict):
            for key, child in item.items():
                child_path = f"{where}.{key}" if where else str(key)
                problem = _unstorable(str(key), nul)
                if problem:
                    return _printable(child_path), problem
                pending.append((child, child_path))
        elif isinstance(item, list):
            pending.extend((child, f"{where}[{index}]") for index, child in enumerate(item))
    return None


def unstorable_text(value: Any, *, nul: bool = True) -> str | None:
    """``unstorable_text_at`` as one sentence: "'<path>' contains …", or None."""
    found = unstorable_text_at(value, nul=nul)
    return f"'{found[0]}' contains {found[1]}." if found else None


def _printable(path: str) -> str:
    return path.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\u0000")
