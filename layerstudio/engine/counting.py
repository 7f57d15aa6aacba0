"""How many of its thing an object phrase asks for, and the phrase for one of them: 'two pink hearts' is dealt
two boxes, and each is named 'Pink heart'. Plain text, no torch: layer naming (request.py) uses it too."""
from __future__ import annotations

import re

COUNTS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
          "a pair of": 2, "a couple of": 2}
_COUNT = re.compile(r"\s*(%s|\d+)\b\s*" % "|".join(COUNTS), re.IGNORECASE)
MOST = 50


# things said in the plural that are one thing: 'a pair of sunglasses' is one pair, each box no 'sunglass'
PAIRED = {"glasses", "sunglasses", "eyeglasses", "spectacles", "goggles", "scissors", "trousers", "jeans", "pants",
          "shorts", "pyjamas", "pajamas", "headphones", "earphones", "earbuds", "binoculars", "pliers", "tongs",
          "tweezers"}


def count_of(phrase: str) -> int:
    """How many of its thing an object phrase asks for ('two pink hearts': 2, '3 stars': 3), else 1."""
    said = _COUNT.match(phrase)
    if said is None or (said.group(1).lower() == "a pair of" and _thing_word(phrase[said.end():]) in PAIRED):
        return 1
    word = said.group(1).lower()
    return max(1, min(int(word) if word.isdigit() else COUNTS[word], MOST))


# the thing's words end where its extras begin ('three stars with a glow', 'two cats sitting on a mat')
# nouns that end like a verb doing something ('a cat sitting'): 'a christmas stocking' was named 'Christma stocking'
ING_NOUNS = ("stocking", "ring", "earring", "king", "wing", "swing", "string", "spring", "building", "painting",
             "pudding", "ceiling", "icing", "frosting", "wedding", "sling", "dumpling", "duckling", "seedling", "viking",
             "clothing", "thing", "sibling", "darling", "sapling", "bling", "awning", "railing", "lightning", "bowling")
DOING = r"(?!(?:%s)\b)\w+ing" % "|".join(ING_NOUNS)
_THING_END = re.compile(r"\s+(?:with|in|on|at|of|saying|that|which|written|next|beside|above|below|under|over|"
                        r"near|by|and|%s)\b|\s*[,;:.!?(]" % DOING, re.IGNORECASE)
_IRREGULAR = {"mice": "mouse", "geese": "goose", "children": "child", "people": "person", "men": "man",
              "women": "woman", "feet": "foot", "teeth": "tooth", "oxen": "ox", "leaves": "leaf", "knives": "knife",
              "wolves": "wolf", "loaves": "loaf", "halves": "half", "shelves": "shelf", "calves": "calf",
              "wives": "wife", "lives": "life", "scarves": "scarf", "elves": "elf", "thieves": "thief",
              "buses": "bus", "gases": "gas", "lenses": "lens", "cactuses": "cactus", "octopuses": "octopus",
              "irises": "iris", "walruses": "walrus", "circuses": "circus", "quizzes": "quiz"}
_IE_NOUNS = {"cookie", "brownie", "movie", "zombie", "pixie", "genie", "selfie", "smoothie", "hoodie", "beanie",
             "birdie", "veggie", "pie", "tie", "lie", "die", "magpie", "bootie", "rookie", "goalie"}
_OE_NOUNS = {"shoe", "toe", "canoe", "hoe", "oboe", "floe", "horseshoe", "snowshoe"}


def _thing_words(rest: str) -> list[str]:
    """The words of the thing's name at the start of `rest`, lower case."""
    end = _THING_END.search(rest)
    return rest[:end.start() if end else len(rest)].lower().split()


def _thing_word(rest: str) -> str:
    """The last word of the thing's name at the start of `rest`, lower case."""
    return (_thing_words(rest) or [""])[-1]


def singular(word: str) -> str:
    """One of a plural noun ('hearts' -> 'heart', 'cherries' -> 'cherry', 'boxes' -> 'box'); other words as
    they are. Case kept for the letters kept."""
    low = word.lower()
    if low in PAIRED:
        return word
    if low in _IRREGULAR:
        one = _IRREGULAR[low]
        return word[:len(one)] if word[:len(one)].lower() == one else (one.capitalize() if word[:1].isupper() else one)
    if len(low) < 3 or not low.endswith("s") or low.endswith(("ss", "us", "is")):
        return word
    if low.endswith("ies"):
        return word[:-1] if low[:-1] in _IE_NOUNS or len(low) <= 4 else word[:-3] + ("Y" if word.isupper() else "y")
    if low.endswith("oes"):
        return word[:-1] if low[:-1] in _OE_NOUNS else word[:-2]
    if low.endswith(("sses", "ches", "shes", "xes", "zzes")):
        return word[:-2]
    return word[:-1]


def one_of(phrase: str) -> str:
    """The phrase for one of what it counts or names several of: 'two pink hearts' -> 'pink heart', 'a pair of blue
    shoes with laces' -> 'blue shoe with laces', 'some balloons' -> 'balloon'; any other phrase as it is."""
    several = plural(phrase)
    said = _COUNT.match(phrase) or (_SEVERAL.match(phrase) or re.match(r"\s*(?:the\s+)?", phrase, re.IGNORECASE)
                                    if several else None)  # 'some balloons', 'the stars'
    rest = phrase[said.end():].lstrip() if said else ""
    if not rest.strip() or (count_of(phrase) == 1 and not several):  # 'Three' alone names no thing
        return phrase
    end = _THING_END.search(rest)
    thing_end = end.start() if end else len(rest)
    words = rest[:thing_end].rsplit(" ", 1)
    words[-1] = singular(words[-1])
    return " ".join(words) + rest[thing_end:]


# icons named in the plural, each one thing: a layer of 'french fries' is one icon
ONE_THING = {"french fries", "fries", "waves", "grapes", "cherries", "noodles", "playing cards", "cards", "dice",
             "clapping hands", "crossbones"}
_SEVERAL = re.compile(r"\s*(?:some|many|several|lots of|a few|a bunch of)\b", re.IGNORECASE)


def plural(phrase: str) -> bool:
    """Whether an object phrase names several of its thing without a count ('balloons', 'some stars'); not lettering,
    nor a thing said in the plural that is one ('sunglasses')."""
    if "'" in phrase or '"' in phrase or "‘" in phrase or "“" in phrase or count_of(phrase) > 1:
        return False
    if _SEVERAL.match(phrase):
        return True
    name = _thing_words(re.sub(r"^\s*(?:a|an|the)\s+", "", phrase, flags=re.IGNORECASE))
    word = name[-1] if name else ""
    return bool(word) and word not in PAIRED and singular(word) != word and \
        not (word in ONE_THING or " ".join(name[-2:]) in ONE_THING)
