"""The arguments of a search, checked: page numbers and filters (a bad one is a
``SearchError``, which the web app answers with 400 and its message)."""
from __future__ import annotations

from indexer.errors import SearchError
from indexer.schema import FACET_FIELDS
from indexer.text import taxonomy


def checked_filters(filters: dict[str, list[str]], is_theme) -> dict[str, list[str]]:
    """Return filters with values trimmed, lower-cased (language tags normalized) and
    deduplicated; SearchError for an unknown filter or value.

    :param is_theme: tells whether a value is a thematic area of the index.
    """
    checks = {"lang": taxonomy.is_language, "country": taxonomy.is_country, "type": taxonomy.is_type,
              "theme": is_theme}
    clean = {}
    for name, values in filters.items():
        if name not in FACET_FIELDS:
            raise SearchError(f"unknown filter {name!r}; use one of {', '.join(FACET_FIELDS)}")
        values = [(taxonomy.language_tag(v.strip()) or v.strip().lower()) if name == "lang" else v.strip().lower()
                  for v in values if v and v.strip()]
        for v in values:
            if not checks[name](v):
                raise SearchError(f"unknown {name} value {v!r}")
        clean[name] = list(dict.fromkeys(values))
    return clean


def positive(value, name: str) -> int:
    """Return value as a whole number from 1 to 100000; SearchError naming it otherwise."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise SearchError(f"{name} must be a positive whole number") from None
    if number < 1 or number > 100000:
        raise SearchError(f"{name} must be a positive whole number up to 100000")
    return number
