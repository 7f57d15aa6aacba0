"""Misspelt names of things and colours read as meant: 'a red lolipop' drew nothing (no icon is named 'lolipop') and
'whte' no colour. A word is read otherwise only where an English dictionary (pyspellchecker's) lacks it and its
likeliest spelling names a shape, an icon or a colour the engine draws; words in quotes are lettering and stay."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .colours import colour_names
from .silhouettes import named_object
from .text import quoted_ranges

_WORD = re.compile(r"(?<![\w'#-])[A-Za-z]{4,}(?![\w'-])")  # not inside hex codes, hyphenated or quoted-in words


@lru_cache(maxsize=1)
def _dictionary():
    from spellchecker import SpellChecker

    dictionary = SpellChecker(language="en")
    # words typed without their accents are words: 'cafe' was read as 'cake'
    dictionary.word_frequency.load_words([_unaccented(w) for w in dictionary.word_frequency.dictionary
                                          if not w.isascii()])
    return dictionary


def _unaccented(word: str) -> str:
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()


@lru_cache(maxsize=4096)
def _meant(word: str) -> str | None:
    """The word `word` (lower case) was meant to be, where it is a misspelt thing or colour name; else None. A word
    of four letters only misses one ('whte', 'huse'): changed ones are too often words of their own ('boba')."""
    if word in colour_names() or named_object(word) is not None:
        return None
    dictionary = _dictionary()
    if dictionary.known([word]):
        return None
    # the dictionary's candidates are all the nearest it found (one slip away, else two): among those, a colour
    # before a thing ('magneta' is magenta, not magnet), then the commoner word
    drawn = [w for w in dictionary.candidates(word) or () if w != word and
             (w in colour_names() or named_object(w) is not None) and (len(word) > 4 or len(w) > len(word))]
    return min(drawn, key=lambda w: (w not in colour_names(), -dictionary.word_usage_frequency(w), w), default=None)


def spelled_right(text: str) -> tuple[str, list[tuple[str, str]]]:
    """`text` with misspelt names of things and colours mended, and (as written, as read) for each."""
    quoted = quoted_ranges(text)
    out, fixes, pos = [], [], 0
    for m in _WORD.finditer(text):
        if any(a <= m.start() < b for a, b in quoted):
            continue
        right = _meant(m.group().lower())
        if right is None:
            continue
        if m.group()[0].isupper():
            right = right[0].upper() + right[1:]
        out += [text[pos:m.start()], right]
        pos = m.end()
        fixes.append((m.group(), right))
    return "".join(out) + text[pos:], fixes
