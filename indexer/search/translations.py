"""Translation groups on the read side: the other-language versions of one work.

A search filtered to a language also brings the translations, in that language, of the
works it matched in other languages; such a translation takes the rank of its best-ranked
matching version. With ``collapse``, a work shows once: its best-ranked version.
"""
from __future__ import annotations


class Translation:
    """A result that does not match the query itself but translates a work that does."""

    def __init__(self, docnum: int, score: float):
        self.docnum, self.score = docnum, score


def arrange(hits, final, column, stop: int, collapse: bool = False, translations: bool = False) -> list:
    """Return the first ``stop`` results from hits (ranked matches), keeping those in final.

    :param final: the documents that may be shown (a boolean mask over docnums).
    :param column: the translation groups (``versions.GroupColumn``).
    :param collapse: one result per translation group: its best-ranked version.
    :param translations: after each hit, its translations in final that are not hits themselves.
    """
    seen_docs, seen_groups, out = set(), set(), []
    for hit in hits:
        number = int(column.of[hit.docnum])
        group = number if number >= 0 else ("document", hit.docnum)  # without a group: a work of its own
        entries = [hit] if final[hit.docnum] else []
        if translations and number >= 0:
            entries += [Translation(d, hit.score) for d in column.members[number]
                        if final[d] and d != hit.docnum]
        for entry in entries:
            if entry.docnum in seen_docs or (collapse and group in seen_groups):
                continue
            seen_docs.add(entry.docnum)
            seen_groups.add(group)
            out.append(entry)
        if len(out) >= stop:
            break
    return out[:stop]
