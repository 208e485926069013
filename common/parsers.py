"""The API's JSON parser. Its own module: DRF's views read DEFAULT_PARSER_CLASSES when
they are imported, so this must not import them (``common.api`` does)."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from common.jsontext import json_decode, unstorable_text


class StrictJSONParser(JSONParser):
    """DRF's JSON parser, strict as ``common.jsontext.json_decode``: ``NaN``, ``Infinity``,
    out-of-range numbers, lone surrogates and documents nested too deep are a 400 naming
    the problem, never a 500 when the row is written. (NUL characters are left to the
    fields: DRF's ``CharField`` refuses them with the field's name.)"""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = json_decode(stream.read() if stream is not None else b"")
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        problem = unstorable_text(data, nul=False)
        if problem:
            raise ParseError(f"JSON parse error - {problem}")
        return data
