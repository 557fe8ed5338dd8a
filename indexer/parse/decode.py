"""Decode a page's bytes to text, whatever the page claims about itself.

Order of trust: a byte-order mark; then valid UTF-8 (a page whose bytes are valid UTF-8
with non-ASCII characters is UTF-8, whatever its ``<meta charset>`` says, since no
single-byte text is valid UTF-8 by accident); then UTF-8 with stray single bytes mixed in
(each byte that is not UTF-8 read as Windows-1252); then the transport's charset, the page's
own declaration and Windows-1252 (``UnicodeDammit``: no statistical detection). NUL and other control characters never
reach the index.
"""
from __future__ import annotations

import codecs
import re

from bs4 import UnicodeDammit
from bs4.dammit import EncodingDetector

from indexer.errors import ExtractError

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
#: C0 control bytes that text does not contain (tab, newlines and form feed are text).
_CONTROL_BYTES = bytes(range(0x00, 0x09)) + b"\x0b" + bytes(range(0x0e, 0x20))
#: Control characters dropped from decoded text: those, DEL and the C1 controls (a terminal
#: reads ESC and U+009B as the start of a command, and the CLI prints titles and labels).
_CONTROL_CHARS = dict.fromkeys([*_CONTROL_BYTES, 0x7f, *range(0x80, 0xa0)])
#: How much of the head is sniffed for binary content, and the share of control bytes allowed.
SNIFF_BYTES = 8192
MAX_CONTROL_SHARE = 0.01
#: Encodings a page mixing UTF-8 with stray single bytes may claim (or none at all).
_LATIN = {"utf-8", "utf8", "ascii", "us-ascii", "iso-8859-1", "latin-1", "latin1", "windows-1252",
          "cp1252", "iso-8859-15"}
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def control_bytes(head: bytes) -> int:
    """Return how many bytes of head are control bytes that text never holds."""
    return len(head) - len(head.translate(None, _CONTROL_BYTES))


def is_binary(body: bytes) -> bool:
    """Tell binary data (images, archives, PDFs) from text that has a stray NUL byte."""
    head = body[:SNIFF_BYTES]
    return control_bytes(head) > max(8, MAX_CONTROL_SHARE * len(head))


def decode(body: bytes, declared: str | None = None, is_html: bool = True) -> str:
    """Return the text of body; raise ExtractError for binary or undecodable content.

    :param declared: the charset the transport announced (HTTP ``Content-Type``), if any.
    """
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return _strip_controls(body[len(bom):].decode(encoding, "replace"))
    if is_binary(body):
        raise ExtractError(f"binary content ({control_bytes(body[:SNIFF_BYTES])} control bytes "
                           f"in the first {min(len(body), SNIFF_BYTES)})")
    claimed = _claimed(body, declared, is_html)
    if not body.isascii() or not claimed:
        try:
            return _strip_controls(body.decode("utf-8"))
        except UnicodeDecodeError:
            pass
    if claimed <= _LATIN and _UTF8_SEQUENCE.search(body):
        # UTF-8 with Latin-1/Windows-1252 bytes pasted in, or a few broken bytes.
        return _strip_controls(body.decode("utf-8", _SINGLE_BYTE_FALLBACK))
    # The transport's charset, then the page's, then Windows-1252 (as browsers read an
    # undeclared page): never a statistical guess, whose answer would depend on which
    # detector happens to be installed (bs4 uses charset-normalizer or chardet when present).
    page = EncodingDetector.find_declared_encoding(body[:SNIFF_BYTES], is_html=is_html)
    tried = [e for e in (declared, page, "windows-1252") if e]
    dammit = UnicodeDammit(body, known_definite_encodings=tried, is_html=is_html)
    if dammit.unicode_markup is None:
        raise ExtractError("undecodable content")
    return _strip_controls(dammit.unicode_markup)


def _single_bytes(error: UnicodeDecodeError) -> tuple[str, int]:
    """Decode handler: read the bytes UTF-8 rejects as Windows-1252 (Latin-1 where it has a gap)."""
    bad = error.object[error.start:error.end]
    return "".join(_cp1252(b) for b in bad), error.end


def _cp1252(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


_SINGLE_BYTE_FALLBACK = "m4d-single-bytes"
codecs.register_error(_SINGLE_BYTE_FALLBACK, _single_bytes)


def _claimed(body: bytes, declared: str | None, is_html: bool) -> set:
    """Return the lower-cased encodings the transport and the page itself declare."""
    names = {declared, EncodingDetector.find_declared_encoding(body[:SNIFF_BYTES], is_html=is_html)}
    return {n.strip().lower() for n in names if n}


def _strip_controls(text: str) -> str:
    return text.translate(_CONTROL_CHARS)
