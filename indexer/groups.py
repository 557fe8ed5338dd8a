"""Translation groups on the read side: the versions of one work in several languages.

A search filtered to a language also brings the versions, in that language, of the works it
matched in other languages; such a version takes the rank of its best-ranked matching version.
"""
from __future__ import annotations


class Version:
    """A result that does not match the query itself but is a version of a work that does."""

    def __init__(self, docnum: int, score: float):
        self.docnum, self.score = docnum, score


def rank(hits, final: set, group_of: dict[int, str], members: dict[str, frozenset], stop: int,
         collapse: bool = False, versions: bool = False) -> list:
    """Return the first ``stop`` results from hits (ranked matches), keeping those in final.

    :param collapse: one result per translation group: its best-ranked version.
    :param versions: after each hit, its versions in final that are not hits themselves.
    """
    seen_docs, seen_groups, out = set(), set(), []
    for hit in hits:
        group = group_of.get(hit.docnum, hit.docnum)
        entries = [hit] if hit.docnum in final else []
        if versions:
            entries += [Version(d, hit.score) for d in sorted(members.get(group, ()))
                        if d in final and d != hit.docnum]
        for entry in entries:
            if entry.docnum in seen_docs or (collapse and group in seen_groups):
                continue
            seen_docs.add(entry.docnum)
            seen_groups.add(group)
            out.append(entry)
        if len(out) >= stop:
            break
    return out[:stop]
