"""Misspelt names of things and colours read as meant: 'a red lolipop' drew nothing (no icon is named 'lolipop') and
'whte' no colour. A word is read otherwise only where an English dictionary (pyspellchecker's) lacks it and its
likeliest spelling names a shape, an icon, a colour the engine draws or a background ('backround' was an object);
words in quotes are lettering and stay. The words of greetings are mended before lettering is looked for
('merry chrismas', 'hapy birthday' were not lettered, or lettered misspelt)."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .colours import colour_names
from .silhouettes import named_object
from .text import quoted_ranges

_WORD = re.compile(r"(?<![\w'#-])[A-Za-z]{4,}(?![\w'-])")  # not inside hex codes, hyphenated or quoted-in words
_SHORT = re.compile(r"(?<![\w'#-])(bg|bkg|bkgd)(?![\w'-])", re.IGNORECASE)  # 'an owl, dark purple bg'
_BACKGROUNDS = {"background", "backdrop"}
# the words of greetings and occasions the lettering cues look for (lettering_cues._GREETING)
OCCASIONS = {"happy", "birthday", "merry", "christmas", "congratulations", "anniversary", "halloween", "valentine",
             "graduation", "wedding", "thanksgiving", "easter", "holidays", "opening", "welcome", "retirement",
             "greetings", "married", "hanukkah", "congrats"}


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


def _drawn(word: str) -> bool:
    return word in colour_names() or named_object(word) is not None or word in _BACKGROUNDS


@lru_cache(maxsize=4096)
def _meant(word: str, occasions: bool = False) -> str | None:
    """The word `word` (lower case) was meant to be, where it is a misspelt thing, colour or background name (a
    greeting's word, with `occasions`); else None. A word of four letters only misses one ('whte', 'huse'): changed
    ones are too often words of their own ('boba')."""
    wanted = OCCASIONS.__contains__ if occasions else _drawn
    if wanted(word) or _drawn(word):
        return None
    dictionary = _dictionary()
    if dictionary.known([word]):
        return None
    # the dictionary's candidates are all the nearest it found (one slip away, else two): among those, a colour
    # before a thing ('magneta' is magenta, not magnet), then the commoner word
    drawn = [w for w in dictionary.candidates(word) or () if w != word and wanted(w)
             and (len(word) > 4 or len(w) > len(word))]
    return min(drawn, key=lambda w: (w not in colour_names(), -dictionary.word_usage_frequency(w), w), default=None)


def spelled_right(text: str, occasions: bool = False) -> tuple[str, list[tuple[str, str]]]:
    """`text` with misspelt names of things, colours and backgrounds mended ('bg' written out), or with `occasions`
    the words of greetings; and (as written, as read) for each."""
    quoted = quoted_ranges(text)
    out, fixes, pos = [], [], 0
    words = [(m, "background" if m.re is _SHORT else None)
             for m in sorted([*_WORD.finditer(text), *([] if occasions else _SHORT.finditer(text))], key=lambda m: m.start())]
    for m, written_out in words:
        if any(a <= m.start() < b for a, b in quoted):
            continue
        if not occasions and m.group()[:1].isupper() and not written_out:
            continue  # a name: 'Taj Mahal' is no 'Taj Mail', 'Pixar' no pear
        right = written_out or _meant(m.group().lower(), occasions)
        if right is None:
            continue
        if m.group()[0].isupper():
            right = right[0].upper() + right[1:]
        out += [text[pos:m.start()], right]
        pos = m.end()
        fixes.append((m.group(), right))
    return "".join(out) + text[pos:], fixes
