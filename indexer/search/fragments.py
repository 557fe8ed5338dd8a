"""Whoosh's ``ContextFragmenter`` and fragment ranking, replayed from match to match.

``ContextFragmenter.fragment_tokens`` reads every token of a text. Its state between two
matches depends only on how many token characters lie between them and on the tokens
just before a match, so given the matched tokens and the text's *marks* (one byte per
character: ``w`` where a token has it, a space elsewhere, made at C speed by ``marks``) the
same fragments come from a few ``bytes.find`` and ``bytes.count`` calls per match
(``fragments``). ``top`` is ``top_fragments`` for the default scorer and order, without its
per-fragment calls. Only for texts tokenized by ``analyze.TOKEN_PATTERN`` (words, dots
between word characters), whose tokens are exactly the runs of ``w``; ``snippets`` checks.
"""
from __future__ import annotations

import re

from whoosh.highlight import FIRST, BasicFragmentScorer, ContextFragmenter, Fragment, top_fragments

#: Latin-1 byte → b"w" for a word character, b"." for a dot, b" " otherwise.
_CLASSES = bytes(ord("w") if re.match(r"\w", chr(b)) else ord(".") if b == ord(".") else ord(" ")
                 for b in range(256))
#: A dot between two word characters, in marks not yet final: a token holds it (a regular
#: expression: faster here than bytes.replace, whose search stumbles on runs of "w").
_INNER_DOT = re.compile(rb"\.(?<=w\.)(?=w)")
#: A word character (the marks of a character beyond Latin-1 are set by checking it).
_WORD = re.compile(r"\w")
W = ord("w")


def marks(text: str, raw: bytes) -> tuple[bytes, list[int]]:
    """Return one byte per character of text, b"w" if a token (``TOKEN_PATTERN``: words,
    dots between word characters) has it and b" " if not, with the offsets of the word
    characters beyond Latin-1. ``raw`` is ``text.encode("latin-1", "replace")``, where
    each character beyond Latin-1 is a "?" (so offsets are the text's)."""
    out = raw.translate(_CLASSES)
    beyond = []
    i = raw.find(b"?")
    while i >= 0:
        if _WORD.match(text, i):
            beyond.append(i)
        i = raw.find(b"?", i + 1)
    if beyond:
        patched = bytearray(out)
        for i in beyond:
            patched[i] = W
        out = bytes(patched)
    return _INNER_DOT.sub(b"w", out).replace(b".", b" "), beyond


class Span:
    """A fragment as ``fragments`` finds it: what formatters and ``top`` read of Whoosh's
    ``Fragment``, without the set of matched terms that each ``Fragment`` builds when made
    (most fragments of a text are not shown)."""

    __slots__ = ("text", "matches", "startchar", "endchar")

    def __init__(self, text: str, matches: list, startchar: int, endchar: int):
        self.text, self.matches, self.startchar, self.endchar = text, matches, startchar, endchar

    @property
    def matched_terms(self) -> set:
        return {t.text for t in self.matches if hasattr(t, "text")}

    def fragment(self) -> Fragment:
        return Fragment(self.text, self.matches, self.startchar, self.endchar)


def fragments(text: str, marks: bytes, found: list, fragmenter: ContextFragmenter) -> list[Span]:
    """Return the fragments ``fragmenter.fragment_tokens`` makes of text, given its marks and
    its matched tokens (in order), as ``Span``.

    Replayed rules: outside a fragment the fragmenter keeps the tokens starting within
    ``surround`` characters of the last token's end (forgotten when a fragment closes); a
    match opens a fragment at the first of them (or at itself, then with ``surround`` more
    to go). Each match resets a countdown of ``surround`` token characters; the fragment
    closes on the token where it runs out, or on the token that would pass ``maxchars``
    token characters (a match there is dropped). A countdown closed at exactly 0 takes the
    next token into an empty fragment (score 0). A token ending past ``charlimit`` ends
    everything; a fragment still open then (or at the text's end) ends with that token.
    """
    surround, maxchars, charlimit = fragmenter.surround, fragmenter.maxchars, fragmenter.charlimit
    size = len(text)
    stop, stop_end = size, None  # tokens from stop on end past charlimit; stop_end: the first's end
    if charlimit and size > charlimit:
        q = marks.find(b"w", charlimit)
        if q >= 0:
            stop, stop_end = marks.rfind(b" ", 0, q) + 1, _token_end(marks, q)
    found = [t for t in found if t.startchar < stop]
    out: list[Span] = []
    floor, k = 0, 0  # tokens from floor on came after the last fragment closed; k: next match
    while k < len(found):
        t = found[k]
        if t.startchar < floor:
            k += 1
            continue
        first = _context_start(marks, t.startchar, floor, surround)
        start, tks, currentlen, zero = None, [], 0, False
        while True:  # t: a match inside the fragment
            k += 1
            length = t.endchar - t.startchar
            if currentlen + length > maxchars:
                end = t.endchar
                break
            countdown = surround
            if start is None:
                start = first
                if first is None:
                    start, countdown = t.startchar, 2 * surround
            tks.append(t)
            currentlen += length
            countdown -= length
            if countdown <= 0:
                end, zero = t.endchar, countdown == 0
                break
            # The tokens after t, up to the next match: does the fragment close among them?
            limit = found[k].startchar if k < len(found) else stop
            need = min(countdown, maxchars - currentlen + 1)
            q = _nth_token_char(marks, t.endchar, need, limit)
            if q is not None:
                end = _token_end(marks, q)
                between = marks.count(b"w", t.endchar, end)
                zero = currentlen + between <= maxchars and countdown == between
                break
            if k == len(found):  # the text, or charlimit, ends inside the fragment
                end = stop_end if stop_end is not None else marks.rfind(b"w") + 1
                out.append(Span(text, tks, start, min(size, end)))
                return out
            between = marks.count(b"w", t.endchar, limit)
            currentlen += between
            t = found[k]
        out.append(Span(text, tks, start if start is not None else 0, min(size, end)))
        floor = end
        if zero:
            after = marks.find(b"w", floor)
            if after >= stop:
                return out
            if after >= 0 and not (k < len(found) and found[k].startchar == after):
                floor = _token_end(marks, after)
                out.append(Span(text, [], 0, min(size, floor)))
    return out


def _token_end(marks: bytes, at: int) -> int:
    """Return the end of the token holding the character at ``at``."""
    end = marks.find(b" ", at)
    return end if end >= 0 else len(marks)


def _nth_token_char(marks: bytes, at: int, n: int, limit: int) -> int | None:
    """Return the offset of the n-th token character from ``at`` on, before ``limit``; None
    when there are fewer."""
    while True:
        at = marks.find(b"w", at, limit)
        if at < 0:
            return None
        window = min(n, limit - at)
        count = marks.count(b"w", at, at + window)
        if count == n:  # then the window is n token characters
            return at + n - 1
        n -= count
        at += window


def _context_start(marks: bytes, at: int, floor: int, surround: int) -> int | None:
    """Return where ContextFragmenter starts a fragment opened by the match at ``at``: the
    first token after floor starting at most ``surround`` characters before the end of the
    token before the match; None when there is none."""
    last = marks.rfind(b"w", floor, at)
    if last < 0:
        return None
    low = max(last + 1 - surround, floor)
    if low and marks[low - 1] == W:  # inside a token: the next one
        low = _token_end(marks, low)
    first = marks.find(b"w", low, at)
    return first if first >= 0 else None


def top(found: list[Span], count: int, scorer, order, minscore: int = 1) -> list:
    """Return ``top_fragments(found, count, scorer, order, minscore)``, computed directly for
    Whoosh's ``BasicFragmentScorer`` and ``FIRST`` order over tokens of boost 1 (``snippets``'):
    the score is the number of matches times 100 per distinct term, the ties of
    ``heapq.nlargest`` go to the later fragment, and the best are put back in text order."""
    if type(scorer) is not BasicFragmentScorer or order is not FIRST or minscore < 1:
        return top_fragments([f.fragment() for f in found], count, scorer, order, minscore=minscore)
    scored = [(len(f.matches) * len(f.matched_terms) * 100, f.startchar, f) for f in found if f.matches]
    scored.sort(key=lambda sf: (sf[0], sf[1]), reverse=True)
    best = [f for score, _, f in scored[:count] if score >= minscore]
    best.sort(key=order)
    return best
