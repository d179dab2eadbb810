"""JSON text as other tools leave it, read as far as it can be read.

Progress files come from our own writes, an editor (a byte-order mark, CRLF, UTF-16), a sync tool (a second
copy appended), a disk that filled up or a copy that stopped early (the file ends mid-way), a hand edit
(a missing comma). :func:`read_lenient` returns every member of the top object, of its ``lessons`` and of
each lesson that was complete before the text went wrong, and says where reading stopped. Nothing here
knows what a progress record means (:mod:`.record` does); it only turns bytes into Python values.
"""

import json
import re

#: objects read member by member when the text breaks inside them: the file, ``lessons``, a lesson, a section
PARTIAL_DEPTH = 4
_WHITESPACE = re.compile(r"[ \t\r\n]*")


class ProgressFileError(ValueError):
    """The bytes are not a Fine-Tuning Lab progress file; the message says why in plain words."""


def _int(text):
    """A JSON integer; one too long for Python's int parser (over 4,300 digits) becomes a float (inf), which
    the record then sets aside as not finite, instead of failing the whole file."""
    return int(text) if len(text) < 4000 else float(text)


_DECODER = json.JSONDecoder(parse_int=_int)


def decode(raw):
    """Bytes to text, whatever an editor saved: UTF-8 with or without a byte-order mark, UTF-16 or UTF-32."""
    try:
        return raw.decode(json.detect_encoding(raw))
    except (UnicodeDecodeError, LookupError):
        raise ProgressFileError("it is not text in a Unicode encoding (UTF-8, UTF-16 or UTF-32)") from None


def _value(text, pos):
    """One JSON value at ``pos``: (value, end). Raises ValueError (JSONDecodeError) or RecursionError."""
    return _DECODER.raw_decode(text, pos)


def _skip(text, pos):
    return _WHITESPACE.match(text, pos).end()


def _members(text, pos, depth, path, stops):
    """The members of the object starting at ``text[pos] == '{'`` that were complete before the text broke.
    Where a member's value breaks and is itself an object (up to ``depth`` levels), its complete members are
    kept too. ``stops`` gets the path (keys) of the object where reading stopped."""
    out = {}
    pos = _skip(text, pos + 1)
    while True:
        if pos < len(text) and text[pos] == "}":
            return out
        try:
            key, pos = _value(text, pos)
        except (ValueError, RecursionError):
            key = None
        pos = _skip(text, pos)
        if not isinstance(key, str) or pos >= len(text) or text[pos] != ":":
            stops.append(path)
            return out
        pos = _skip(text, pos + 1)
        try:
            out[key], pos = _value(text, pos)
        except (ValueError, RecursionError):
            if depth > 1 and pos < len(text) and text[pos] == "{":
                out[key] = _members(text, pos, depth - 1, path + (key,), stops)
            else:
                stops.append(path + (key,))
            return out
        pos = _skip(text, pos)
        if pos < len(text) and text[pos] == ",":
            pos = _skip(text, pos + 1)
            continue
        if pos >= len(text) or text[pos] != "}":
            stops.append(path + (key,))
        return out


def read_lenient(raw):
    """Read JSON bytes or text. Returns ``(value, notes, stopped, error)``: the value (complete, or the complete
    part of the top object when the text breaks), notes on what was ignored, the key paths where reading
    stopped early ([] when the whole text was read) and, then, why it stopped (a sentence).
    Raises :class:`ProgressFileError` when not even the start of a JSON object can be read."""
    text = decode(raw) if isinstance(raw, (bytes, bytearray)) else str(raw)
    text = text.lstrip("\ufeff \t\r\n")
    try:
        value, end = _value(text, 0)
    except (ValueError, RecursionError) as err:
        if isinstance(err, RecursionError):
            error = "it is nested far too deeply to be a progress file"
        else:
            where = f", line {err.lineno}" if isinstance(err, json.JSONDecodeError) else ""
            error = f"it is not JSON ({getattr(err, 'msg', err)}{where})"
        if not text.startswith("{"):
            raise ProgressFileError(error) from None
        stops = []
        value = _members(text, 0, PARTIAL_DEPTH, (), stops)
        return value, [], stops or [()], error
    rest = text[end:].strip()
    notes = [f"extra text after the progress data ({len(rest)} characters) was ignored"] if rest else []
    return value, notes, [], None
