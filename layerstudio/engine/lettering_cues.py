"""Words meant to be lettered though not in quotes: 'a sign saying OPEN', 'the word LOVE in red', 'happy birthday
Emma', 'a big red SALE sticker', 'Summer Sale 50% off banner'. Only quoted words are lettered, so these came out
as empty layers or not at all (a helper's review: about 50 of 120 everyday prompts asked for words so). Each cue
puts quotes around the words; a prompt that quotes anything already is left as written (its writer knows)."""
from __future__ import annotations

import re

from .colours import colour_spans
from .silhouettes import named_object, no_thing_spans
from .usual_colours import draws_as_background
from .text import quoted_ranges

# Words that end what is said: what follows is about how or where it is drawn, or is another thing
_ENDS = {"in", "on", "with", "and", "above", "below", "over", "under", "next", "beside", "at", "across", "inside",
         "between", "written", "lettered", "printed", "for", "from", "by", "against", "along", "around", "near",
         "behind", "underneath", "beneath", "to"}
# Names of what a design is, not of what is in it ('Instagram post for a coffee shop. A brown cup, ...')
DESIGN_NOUNS = {"poster", "flyer", "card", "banner", "post", "cover", "invitation", "invite", "advert", "ad",
                "thumbnail", "wallpaper", "logo", "sticker", "header", "menu", "postcard", "brochure", "leaflet",
                "design", "graphic", "illustration", "template", "mockup", "story", "announcement", "sign",
                "drawing", "monogram", "print"}
# ... and what words are lettered on ('Reading Corner sign', 'a SALE tag')
_DESIGN = DESIGN_NOUNS | {"label", "badge", "tag", "button", "stamp", "shirt", "t-shirt", "mug", "title", "headline",
                          "icon", "crest", "emblem"}
_ABOUT_THE_LOOK = re.compile(r"\b(?:colou?rs|themed?|tones|style|vibes?|feel|look|palette)\b", re.IGNORECASE)
_TOKEN = re.compile(r"[\w'’%&$£€#@!?.,:;+-]+")

_SAID_BY = re.compile(r"\b(?:the\s+(?:word|words|text|title|slogan|caption|letters|message|headline)|saying|says|"
                      r"that\s+reads|which\s+reads|reads|(?-i:(?<=\w )reading(?=\s+[A-Z0-9]))|spelling(?:\s+out)?|spelled\s+out|"
                      r"with\s+the\s+(?:word|words|text|title|name|slogan|message)|"
                      r"(?-i:(?:letters?|initials?|monogram)(?=\s+[A-Z]{1,3}\b)|(?:number|numeral|digit)(?=\s+\d+\b)))\s+",
                      re.IGNORECASE)
_GREETING = re.compile(
    r"\b(?:happy\s+(?:\d+(?:st|nd|rd|th)\s+)?(?:birthday|new\s+year|holidays|halloween|easter|thanksgiving|hanukkah|"
    r"diwali|eid|valentine'?s?\s+day|mother'?s?\s+day|father'?s?\s+day|anniversary|retirement|graduation|"
    r"friday|weekend|mothers\s+day|fathers\s+day|st\.?\s+patrick'?s\s+day)|merry\s+christmas|thank\s+you|"
    r"congratulations|congrats|welcome(?:\s+home|\s+back|\s+baby)?|get\s+well\s+soon|save\s+the\s+date|"
    r"good\s+luck|best\s+wishes|season'?s\s+greetings|grand\s+opening|just\s+married|it'?s\s+a\s+(?:boy|girl)|"
    r"bon\s+voyage|trick\s+or\s+treat|be\s+mine|i\s+love\s+you|happy\s+new\s+year|eid\s+mubarak|"
    r"happy\s+ramadan|black\s+friday|cyber\s+monday|(?<![\w ])back\s+to\s+school|back\s+to\s+school(?=\s+sale)|i\s+(?:love|❤|♥)\s+(?:[A-Z]{2,3}\b|[A-Z][a-z]+))"
    r"(?:\s+sale\b)?\b[!.]?", re.IGNORECASE)
# Words about how a design looks ('Bold and bright.', 'Make it playful.'): such a prompt asks for no lettering
LOOK_WORDS = {"make", "keep", "feel", "look", "looking", "style", "styled", "vibe", "vibes", "mood", "aesthetic",
              "please", "something", "very", "bright", "colourful", "colorful", "modern", "minimal", "minimalist",
              "clean", "simple", "elegant", "cute", "fun", "cool", "pretty", "nice", "beautiful", "retro", "classic",
              "warm", "cosy", "cozy", "airy", "bold", "bubbly", "chic", "crisp", "dark", "dreamy", "dynamic",
              "earthy", "edgy", "festive", "fresh", "friendly", "gentle", "glossy", "graphic", "happy", "joyful",
              "light", "lively", "loud", "luxurious", "moody", "neat", "playful", "punchy", "quiet", "quirky",
              "relaxed", "rustic", "sleek", "smooth", "soft", "sporty", "striking", "stylish", "subtle", "sunny",
              "tidy", "trendy", "vibrant", "vintage", "whimsical", "youthful", "zesty", "it", "and", "calm",
              "serene", "peaceful", "cheerful", "professional", "classy", "sophisticated", "welcoming", "inviting",
              "polished", "sharp", "so", "really", "super", "but"}
# words saying how the words are to look, not what they say ('the title should be in blue')
_VERBS = {"should", "must", "is", "are", "be", "will", "can", "could", "would", "needs", "need", "has", "have", "was",
          "were", "looks", "look", "goes", "go"}
# words that, said alone, are words to letter ('Hello!'); any other single word is a thing asked for ('dragon')
_SAID_ALONE = {"hello", "hi", "hey", "hiya", "howdy", "yay", "wow", "oops", "boo", "thanks", "congrats", "welcome",
               "sale", "open", "closed", "love", "peace", "hope", "joy", "dream", "believe", "relax", "smile", "enjoy",
               "cheers", "bye", "goodbye", "yes", "no", "stop", "go"}
# who a greeting is for, written after it ('happy birthday Emma', 'happy 40th birthday dad')
_FOR_WHOM = {"mom", "mum", "mommy", "mummy", "dad", "daddy", "grandma", "grandpa", "nana", "granny", "papa", "mama",
             "sis", "bro", "buddy", "friend", "teacher", "everyone", "all", "baby", "love", "honey", "sweetie"}


def quoted_as_meant(text: str) -> tuple[str, list[str]]:
    """`text` with quotes put around words meant to be lettered, and those words, in order."""
    if quoted_ranges(text) or not text.strip():
        return text, []
    spans = _said_by(text) or (_greetings(text) + _capitals(text) + _named_so(text) + _in_letters(text) +
                               _said_after_a_colon(text))
    if not spans and (_names_nothing(text) or _slogan(text)):
        spans = [_the_words(text)]  # the whole prompt: 'sale 20% off everything'
    elif not spans and (head := _words_before_the_rest(text)) is not None:
        spans = [head]  # 'coming soon on a black background', 'level up with a star'
    # a date or an amount in a picture of things is no lettering ('a cat at 3pm', 'a baby weighing 8 pounds')
    designed = (spans or {_bare(w) for w in text.split()} & _DESIGN  # ... or capitals: 'OPEN HOUSE Sunday 1-4 PM'
                or len(re.findall(r"\b[A-Z]{2,}\b", text)) >= 2)
    spans = _merged(text, sorted(spans + _prices_and_offers(text, bool(designed)) +
                                 (_dates_and_times(text) if designed else [])))
    spans = [s for s in spans if s is not None and text[s[0]:s[1]].strip()]
    out, said, pos = [], [], 0
    for a, b in spans:
        words = text[a:b]
        if words.islower():  # 'happy birthday emma' is lettered as a card says it
            words = " ".join(w if k and w in _SMALL | {"am", "pm"} or re.search(r"[.@/#\d]", w) else w[:1].upper() + w[1:]
                             for k, w in enumerate(words.split(" ")))
        out += [text[pos:a], "'", words, "'"]
        said.append(words)
        pos = b
    return "".join(out) + text[pos:], said


def _tokens(text: str, start: int = 0):
    return list(_TOKEN.finditer(text, start))


def _bare(token: str) -> str:
    return token.strip(".,:;!?").lower()


def _said_by(text: str) -> list[tuple[int, int]]:
    """What follows 'saying', 'the word(s)', 'that reads' ...: the words up to one that ends it or a stop."""
    out = []
    for cue in _SAID_BY.finditer(text):
        words = []
        tokens = _tokens(text, cue.end())
        if tokens and tokens[0].group().islower() and _bare(tokens[0].group()) in _ENDS | {"a", "an", "the", "of"}:
            continue  # 'the message in a bottle', 'a cat reads a newspaper': no words said
        if re.search(r"(?:number|numeral|digit)\s+$", cue.group(), re.IGNORECASE):
            tokens = tokens[:1]  # 'a number 5 bus', 'a jersey with number 23'
        for k, token in enumerate(tokens):
            if text[words[-1].end():token.start()].strip() if words else text[cue.end():token.start()].strip():
                break
            joined = (_bare(token.group()) in ("and", "&") and words and words[-1].group()[0].isupper()
                      and k + 1 < len(tokens) and tokens[k + 1].group()[0].isupper())  # 'Fish and Chips'
            if _bare(token.group()) in _VERBS or (_bare(token.group()) in _ENDS and words and not joined):
                break  # 'the text should be big' says how, not what
            words.append(token)
            if token.group()[-1] in ",;:" or (token.group()[-1] == "." and not token.group()[:-1].isupper()):
                break
        if words:
            out.append((words[0].start(), _end_of(text, words[-1].end(), words[0].start())))
    return out


def _greetings(text: str) -> list[tuple[int, int]]:
    """Greetings, with a name or a 'dad' after them: 'happy birthday Emma!'."""
    out = []
    for m in _GREETING.finditer(text):
        before = text[:m.start()]
        noun = re.match(r"\s+([a-z]+)\b", text[m.end():])
        if re.search(r"\bfor\s+$", before, re.IGNORECASE) or (
                re.search(r"\b(?:a|an)\s+$", before, re.IGNORECASE) and noun and noun.group(1) not in _DESIGN
                and noun.group(1) not in _ENDS | _SMALL):
            continue  # 'a horseshoe for good luck', 'a welcome mat', 'a happy easter bunny'
        end = m.end()
        if text[end - 1] not in "!.":
            # capitalised words and numbers after it ('Congratulations Class of 2024', 'happy birthday Emma!')
            # ('Mom and Dad', 'Sarah & Tom - June 12')
            title = re.match(r"(?:\s+(?:[-–—|]\s+)?(?:[A-Z][\w'’-]*|\d[\w'’-]*)(?:\s+(?:of|the|and|&)(?=\s+[A-Z\d]))?)+!?",
                             text[end:])
            after = re.match(r"\s+([\w'’-]+)(?:\s+(?:and|&)\s+([\w'’-]+))?(!?)", text[end:])
            if title and not {_bare(w) for w in title.group().split()} & (_ENDS - {"and"} | _DESIGN):
                end += title.end()
            elif after and all(w is None or w.lower() in _FOR_WHOM or w.isdigit() for w in after.groups()[:2]):
                end += after.end()
            elif after and (after.group(1).lower() in _FOR_WHOM or after.group(1).isdigit()):
                end += after.end(1)
            # on up to a design noun: 'welcome back to school sign'
            more = re.match(r"((?:\s+[\w'’-]+){1,4}?)\s+(?:%s)s?\b" % "|".join(_DESIGN), text[end:], re.IGNORECASE)
            if more and not _only_known(text, _tokens(more.group(1))) and not any(
                    _bare(w) in _ENDS - {"to", "of"} or named_object(w) for w in more.group(1).split()):
                end += more.end(1)
            # and on over who it is from or for, to a stop: 'Thank you for shopping with us', 'Welcome to Room 12'
            said = re.match(r"\s+(?:for|to|from%s)\s+(?:(?!\s+with\s+(?:a|an|the|some|\d+)\b)[^,;:.!?])*[!.]?"
                            % ("|on" if m.group().lower().startswith("congrat") else ""), text[end:], re.IGNORECASE)
            if said and len(said.group().split()) <= 8 and not colour_spans(said.group()) and not any(
                    named_object(w) or _bare(w) in _DESIGN for w in said.group().split()):
                end += len(said.group().rstrip())
        # signed after a comma: 'Happy Birthday Dad, love Sam'
        signed = re.match(r",?\s+(?:love|from|with\s+love|xoxo|hugs|cheers),?\s+(?:[A-Z][\w'’-]*|%s)\b"
                          r"(?:\s+(?:and|&)\s+[A-Z][\w'’-]*)?" % "|".join(_FOR_WHOM), text[end:])
        if signed:
            end += signed.end()
        out.append((m.start(), end))
    return out


_SMALL = {"of", "to", "the", "and", "&", "for", "a", "at", "in", "on", "off", "is", "are", "my", "our", "your", "with",
          "from", "by"}


def _capitals(text: str) -> list[tuple[int, int]]:
    """Runs of words in capitals ('SALE', '50% OFF') and, before a design noun, of capitalised words ('Summer
    Sale 50% off banner', 'Reading Corner sign'); not where most words are so (a prompt written in capitals or
    title case), nor runs of colour and thing names alone ('a RED star')."""
    tokens = _tokens(text)
    words = [t for t in tokens if any(c.isalpha() for c in t.group())]
    if not words:
        return []
    shouting = len(words) > 3 and sum(w.group().isupper() for w in words) > 0.5 * len(words)
    titled = sum(w.group()[0].isupper() for w in words) > 0.6 * len(words)
    out = []
    if not shouting:
        run = []
        for token in tokens + [None]:
            word = token.group() if token else ""
            letters = [c for c in word if c.isalpha()]
            if token is not None and (len(letters) >= 2 and word.upper() == word or
                                      (run and not letters and any(c.isdigit() for c in word))):
                run.append(token)
                continue
            if run and not _only_known(text, run) and not _abbreviation(text, run[0].start(), run[-1].end()):
                out.append((run[0].start(), _end(text, run[-1])))
            run = []
    for design in re.finditer(r"\b(%s)s?\b" % "|".join(sorted(_DESIGN, key=len, reverse=True)), text,
                              re.IGNORECASE):
        before = [t for t in tokens if t.end() <= design.start()]
        if titled and not _title_to(before, tokens):
            continue
        run = []
        for token in reversed(before):
            word = token.group()
            if word[0].isupper() or word[0].isdigit() or (run and _bare(word) in _SMALL - {"a", "the"}) or \
                    re.fullmatch(r"\d+%|off", word, re.IGNORECASE):
                run.insert(0, token)
                continue
            break
        while run and _bare(run[0].group()) in _SMALL:
            run.pop(0)
        capitalised = [t for t in run if t.group()[0].isupper()]
        if len(capitalised) >= 2 or (run and any(c.isdigit() for t in run for c in t.group()) and
                                     (capitalised or any("%" in t.group() for t in run))):  # not '10 stickers'
            # things joined by '&' are a title ('Coffee & Donuts menu'), as colours and things alone are not
            if not _only_known(text, run) or any(t.group() == "&" for t in run):
                out.append((run[0].start(), _end(text, run[-1])))
        elif design.group(1).lower() in ("sign", "banner") and (said := _sign_words(text, before)):
            out.append(said)  # 'a lemonade stand sign': a sign is its words
        named = re.match(r"\s+for\s+((?:(?:[A-Z][\w'’&-]*|(?:and|&)(?=\s+[A-Z]))\s*)+)", text[design.end():])
        if named and (len(named.group(1).split()) >= 2 or re.search(r"['’]s\b", named.group(1))):  # 'Bella's Bakery'
            start = design.end() + named.start(1)
            out.append((start, start + len(named.group(1).rstrip())))
        owned = re.match(r"\s+for\s+([a-z]+['’]s(?:\s+(?!(?:with|and|on|in|at|for)\b)[a-z]+){1,3})\b", text[design.end():])
        if owned and not named and re.match(r"[a-z]+", owned.group(1)).group() not in _FOR_WHOM:  # 'logo for joe's pizza'
            start = design.end() + owned.start(1)
            out.append((start, start + len(owned.group(1))))
    for titled_after in re.finditer(r"\b(?i:%s)s?:\s+((?:The\s+|A\s+)?[A-Z][\w'’&-]*(?:\s+(?:of|the|and|&|[A-Z][\w'’&-]*))*)"
                                    % "|".join(_DESIGN), text):
        run = _tokens(titled_after.group(1))  # a title of two words or more ('menu: Burgers, Fries' lists things)
        if len(run) >= 2 and not _only_known(text, run) and not colour_spans(titled_after.group(1)):
            out.append((titled_after.start(1), _end_of(text, titled_after.end(1))))
    if not titled:
        # a title the prompt opens with, before what the design shows: 'Taco Tuesday with a taco', 'Summer Sale
        # 50% off with a palm tree'
        opening = re.match(r"\s*((?:[A-Z][\w'’&-]*|\d[\w'’%-]*)(?:\s+(?:[A-Z][\w'’&-]*|\d[\w'’%-]*|of|the|and|&)"
                           r"(?=\s+[A-Z\d]))*\s+(?:[A-Z][\w'’&-]*|\d[\w'’%-]*)(?:\s+off)?!?)\s*(?:with\b|[,:-]|$)|"
                           r"\s*((?:[A-Z][\w'’&-]*\s+){0,3}[A-Z][\w'’&-]*!)\s", text)
        said = opening and (1 if opening.group(1) else 2)
        # ... or ends in '!' before things drawn ('Hello Spring! flowers'; 'You're Invited! to a pool party' is whole)
        if opening and said == 2 and not named_object(text[opening.end(2):]):
            opening = None
        if opening and not _only_known(text, _tokens(opening.group(said))) and not colour_spans(opening.group(said)):
            out.append(opening.span(said))
    return out


_PRICE = r"(?:[$£€]\s?\d[\d,]*(?:\.\d\d)?|\d[\d,]*(?:\.\d\d)?\s?(?:[$£€]|cents\b|dollars\b|euros?\b|pounds\b))"
_OFFER = (r"(?:(?:up\s+to|save|only|just|now)\s+)?(?:\d+\s?%\s*off\b|" + _PRICE +
          r"|\d+\s+for\s+\d+\b|buy\s+one,?\s+get\s+one(?:\s+free)?)")


def _prices_and_offers(text: str, designed: bool) -> list[tuple[int, int]]:
    """Prices and offers, with the capitalised words just before them: 'Pizza $9.99', 'Spring Sale up to 40% off',
    'Lemonade 25 cents'. Read as things, a price was a count ('asks for 99'). Not an amount that is a thing ('a $5
    bill', '20 dollars' in a picture of money) unless the words letter something else or name a design."""
    out = []
    for m in re.finditer(_OFFER, text, re.IGNORECASE):
        offer = "%" in m.group() or m.group()[:1] in "$£€"
        money = re.match(r"\s+(?:bills?|notes?|coins?|banknotes?|cheques?|checks?)\b", text[m.end():])  # 'a $5 bill'
        if (offer or designed) and not money:
            out.append(_with_title_before(text, m.start(), m.end()))
    return out


def _with_title_before(text: str, start: int, end: int) -> tuple[int, int]:
    """(start, end) widened back over the capitalised words and numbers just before it."""
    for token in reversed(_tokens(text[:start])):
        if not (token.group()[0].isupper() or token.group()[0].isdigit()) or token.group()[-1] in ",;:":
            break
        start = token.start()
    return start, _end_of(text, end)


_MONTHS = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
           r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_TIME = r"\d{1,2}(?::\d{2})?\s?(?:am|pm|a\.m\.|p\.m\.)"
_WHEN = re.compile(
    r"\b(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?(?:%s\s+%s(?:,?\s+\d{4})?|%s\s+(?:of\s+)?%s(?:,?\s+\d{4})?|"
    r"%s(?:\s*[-–]\s*%s)?|(?<![\w/])\d{1,2}\s*[-–]\s*%s)(?![\w])" % (_MONTHS, _DAY, _DAY, _MONTHS, _TIME, _TIME, _TIME),
    re.IGNORECASE)


def _dates_and_times(text: str) -> list[tuple[int, int]]:
    """Dates and times ('june 5th', 'saturday 9am', '1-4 PM'): lettered, and one with lettering beside them
    ('grand opening june 5th' lettered only its first words)."""
    return [_with_title_before(text, *m.span()) for m in _WHEN.finditer(text)]  # 'OPEN HOUSE Sunday 1-4 PM'


def _said_after_a_colon(text: str) -> list[tuple[int, int]]:
    """Whatever follows 'slogan:', 'quote:', 'caption:', up to a stop or what it is on or with: 't-shirt slogan:
    Keep Calm and Code On'."""
    m = re.search(r"\b(?:slogan|quote|caption|tagline|motto|headline|text)s?\s*:\s*(.+?)\s*(?:$|[.;!?](?:\s|$)|,?\s+"
                  r"(?:on|with)\s+(?:an?|the|some|\d+)\b)", text, re.IGNORECASE)
    return [m.span(1)] if m and m.group(1).strip() else []


# what is named in words on a design: a business, a work, an event ('a bakery called Sweet Crumbs')
_NAMED_THINGS = {"bakery", "cafe", "café", "coffee", "shop", "store", "restaurant", "band", "brand", "company", "team",
                 "club", "salon", "studio", "bar", "bistro", "diner", "boutique", "business", "podcast", "channel",
                 "book", "movie", "film", "show", "album", "song", "event", "festival", "app", "website", "blog",
                 "pizzeria", "pub", "gym", "school", "academy", "agency", "startup", "firm", "clinic", "market", "farm",
                 "brewery", "winery", "hotel", "inn", "spa", "series", "game", "magazine", "newsletter", "conference"}


def _named_so(text: str) -> list[tuple[int, int]]:
    """Capitalised names after 'called', 'named', 'titled': 'a logo for a bakery called Sweet Crumbs'. Not a pet's
    name where nothing says it is a design ('a dog named Max' is a dog)."""
    out = []
    design = re.search(r"\b(?:%s)s?\b" % "|".join(_DESIGN), text, re.IGNORECASE)
    for m in re.finditer(r"\b(called|named|titled|entitled)\s+((?:[A-Z\d][\w'’&!-]*)(?:\s+(?:(?:of|the|and|&|a)\s+)?"
                         r"[A-Z\d][\w'’&!-]*)*)", text):
        thing = re.search(r"([\w'-]+)\s+$", text[:m.start()])
        if m.group(1) in ("called", "named") and not design and not (thing and _bare(thing.group(1)) in _NAMED_THINGS):
            continue  # 'a girl named Alice in a garden' is a girl
        out.append((m.start(2), _end_of(text, m.end(2))))
    return out


_LETTERS = r"(?:letters|lettering|font|typeface|calligraphy)"  # ('teenagers in baseball caps' wear them)


def _in_letters(text: str) -> list[tuple[int, int]]:
    """Words said to be drawn in letters, back to the start or a comma, 'with' or 'and': 'Game Over in pixel
    letters', 'a poster with Hello in big bold letters'."""
    out = []
    for m in re.finditer(r"\s+in\s+(?:[\w-]+\s+){0,4}?%s\b" % _LETTERS, text, re.IGNORECASE):
        words = []
        for token in reversed(_tokens(text[:m.start()])):
            if token.group().islower() and _bare(token.group()) in _ENDS | _DESIGN | {"a", "an", "the"} or \
                    token.group()[-1] in ",;:":  # ('Game Over' is a title)
                break
            words.insert(0, token)
        if words and not _only_known(text, words):
            out.append((words[0].start(), _end_of(text, words[-1].end())))
    return out


def _end_of(text: str, end: int, start: int = 0) -> int:
    """`end` moved back over the stops and commas before it, not past `start`."""
    while end > start and text[end - 1] in ",;:.":
        end -= 1
    return end


def _title_to(before, tokens) -> bool:
    """Whether the words before a design noun open the prompt and are all capitalised (or small words, numbers):
    in a prompt in title case only such a run is a title ('Lost Dog poster'; not 'A Red Star On White')."""
    return bool(before) and before[0].start() == tokens[0].start() and all(
        t.group()[0].isupper() or not t.group()[0].isalpha() or _bare(t.group()) in _SMALL for t in before)


def _abbreviation(text: str, start: int, end: int) -> bool:
    """Whether capitals after an article name a thing and are no words to letter ('a USB stick', 'a DJ'), unless a
    design noun follows ('a SALE sign')."""
    before = re.search(r"\b(a|an|the)\s+$", text[:start], re.IGNORECASE)
    after = re.match(r"\s+([\w-]+)", text[end:])
    if after and after.group(1).lower().rstrip("s") in _DESIGN:
        return False
    short = len(re.sub(r"[^A-Za-z]", "", text[start:end])) <= 3 and after is not None and after.group(1).islower()
    return before is not None or short  # 'AI robot'



# words that say what a sign is like, not what it says ('a big wooden sign')
_SIGN_LOOKS = {"big", "small", "large", "little", "tiny", "huge", "giant", "wooden", "wood", "metal", "old", "new",
               "blank", "simple", "round", "square", "hanging", "street", "road", "warning", "door",
               "welcome", "neon", "lit", "painted", "handwritten", "chalk", "vintage", "rustic", "cute", "funny"}


def _sign_words(text: str, before) -> tuple[int, int] | None:
    """The lower-case words a sign or banner is named after, back to an article or the start ('a lemonade stand
    sign' -> 'lemonade stand'), two to four of them, where none names a colour or a look and the last no thing
    drawn ('a big star sign')."""
    run = []
    for token in reversed(before):
        word = _bare(token.group())
        if word in ("a", "an", "the") or not token.group().islower() or token.group()[-1] in ",;:.!?":
            break
        run.insert(0, token)
    if not 2 <= len(run) <= 4 or text[:run[0].start()].strip().lower() not in ("", "a", "an", "the"):
        return None
    words = [_bare(t.group()) for t in run]
    if any(w in _ENDS | LOOK_WORDS | _SIGN_LOOKS for w in words) or named_object(words[-1]) or \
            colour_spans(text[run[0].start():run[-1].end()]):  # ('a car wash sign': a wash is no thing drawn)
        return None
    return run[0].start(), run[-1].end()


def _end(text: str, token) -> int:
    end = token.end()
    while text[end - 1] in ",;:":
        end -= 1
    return end


def _only_known(text: str, run) -> bool:
    """Whether a run of words names only colours and things drawn (and articles): 'RED STAR'."""
    piece = text[run[0].start():run[-1].end()].lower()
    coloured = colour_spans(piece)
    rest = [w for w in re.findall(r"[\w'-]+", piece)
            if not any(a <= piece.find(w) < b for a, b, _ in coloured) and w not in ("a", "an", "the")]
    return all(named_object(w) is not None for w in rest)


def _names_nothing(text: str) -> bool:
    """Whether a prompt of a few words names no colour, shape, icon or article-led thing: 'yard sale sunday 8am',
    'Keep calm and drink tea'. A single word, or one with an article ('a dragon'), is a thing asked for."""
    words = re.findall(r"[\w'’%-]+", text)
    if len(words) == 1 and words[0].lower() in _SAID_ALONE:  # 'Hello!'
        return True
    if _a_scene(text):  # a place or time of day is a scene: 'Misty forest', 'Christmas morning'
        return False
    if len(words) < 2 or words[0].lower() in ("a", "an", "the", "some", "two", "three") or colour_spans(text) or \
            {w.lower() for w in words} & (_ENDS - {"and", "to", "for"}):  # a scene: 'New York skyline at night'
        return False
    if re.search(r"\b(?:%s)s?\s+for\b" % "|".join(_DESIGN), text, re.IGNORECASE):  # 'logo for a bakery'
        return False
    if {w.lower() for w in words} <= LOOK_WORDS or re.search(r"\b(?:make|keep)\s+it\b|\b(?:feel|look|style|vibe)\b", text,
                                                        re.IGNORECASE):
        return False
    apart = no_thing_spans(text)  # 'super bowl party sunday' names no bowl
    return named_object(text) is None and not any(named_object(w.group()) is not None for w in re.finditer(r"[\w'’%-]+", text)
                                                  if not any(a <= w.start() < b for a, b in apart))


# Verbs a slogan opens with ('Keep calm and drink tea', 'Shop local'); not a request to draw ('draw a cat')
_SLOGAN_VERBS = {"keep", "live", "love", "drink", "eat", "enjoy", "stay", "be", "don't", "dont", "let's", "lets",
                 "follow", "shop", "buy", "order", "try", "join", "come", "visit", "call", "dream", "believe",
                 "smile", "relax", "think", "choose", "save", "support", "celebrate", "trust", "never", "always",
                 "just", "go", "reach", "stop", "please", "wash", "reduce", "recycle", "read", "dance", "sing"}


# more words of scenes than the backgrounds' places ('Rainy afternoon', 'Marrakech market', 'Northern lights')
_SCENE_WORDS = re.compile(r"\b(?:afternoon|weather|valley|town|village|lights|aurora|borealis|canyon|harbou?r|"
                          r"skyline|landscape|scene|view|waterfall|lake|river|bay|coast|cliffs?|dunes|galaxy|nebula|"
                          r"universe|wild|mountains|peak|streets?|alley|plaza|palace|temple|cathedral|bed|room|kitchen|"
                          r"front|racing|cards)\b", re.IGNORECASE)


def _a_scene(text: str) -> bool:
    """Whether the words name a place or a time of day: a picture, not words to letter ('Drink more water' is a
    slogan still: water to drink is no sea)."""
    if _SCENE_WORDS.search(text):
        return True
    return draws_as_background(re.sub(r"\bwater\b", "", text, flags=re.IGNORECASE)) and not colour_spans(text)


def _slogan(text: str) -> bool:
    """Whether a short prompt is a slogan to letter, though it names things drawn: it opens with a verb of one
    ('Keep calm and drink tea', 'Drink more water') and names no colour, article-led thing or design."""
    words = re.findall(r"[\w'’%-]+", text)
    return (2 <= len(words) <= 8 and words[0].lower().replace("’", "'") in _SLOGAN_VERBS and not _a_scene(text)
            and not colour_spans(text) and not re.search(r"\b(?:a|an)\s", text, re.IGNORECASE)
            and not {w.lower() for w in words} & _DESIGN and not re.search(r"\b(?:make|keep)\s+it\b", text, re.I))


# words of a sentence said, which a scene's name lacks: 'we are hiring', 'coming soon', 'level up', 'best dad ever'
_SAID_WORDS = {"we", "are", "is", "am", "was", "you", "your", "yours", "yourself", "our", "my", "i", "me", "us", "it",
               "its", "it's", "this", "here", "now", "soon", "up", "ever", "time", "way", "be", "will", "can", "do",
               "don't", "get", "got", "let's", "lets", "every", "hello", "hi", "hey", "thanks", "thank", "never",
               "always", "just", "not", "yet", "again", "today", "tonight", "forever", "happy", "merry", "feliz",
               "navidad", "shana", "tova", "kareem", "mubarak", "joyeux", "congrats", "welcome", "love", "like",
               "subscribe", "follow", "shine", "cheers", "bye", "goodbye", "hooray", "yay"}


def _words_before_the_rest(text: str) -> tuple[int, int] | None:
    """The words a prompt opens with, where they name nothing (as `_names_nothing` reads a whole prompt) and what
    follows 'on', 'in', 'with' names a colour, a background or a thing: 'we are hiring on a blue background',
    'hello in blue', 'rise and shine with a sun'. The longest such opening: 'Believe in yourself with a star'."""
    opening = len(text) - len(text.lstrip())
    for cut in reversed(list(re.finditer(r"\s+(?:on|in|with|against|over)\s+(?=\S)", text, re.IGNORECASE))):
        head, rest = text[opening:cut.start()], text[cut.end():]
        if head.strip() and _said_before(head, rest):
            return opening, _end_of(text, cut.start())
    return None


def _said_before(head: str, rest: str) -> bool:
    if not (colour_spans(rest) or named_object(rest) or re.search(r"\b(?:background|backdrop)\b", rest, re.IGNORECASE)):
        return False
    if {_bare(w).removesuffix("s") for w in head.split()} & _DESIGN or _ABOUT_THE_LOOK.search(head):
        return False  # 'wedding invitation with two rings' names the design, 'christmas colors with a tree' its look
    # words said, not a scene named ('Night sky with a full moon', 'still life with apples' are pictures)
    if not ({_bare(w) for w in head.split()} & _SAID_WORDS or re.search(r"\d|!|\bfor\s+[A-Z]", head)) and \
            not (len(head.split()) == 1 and _bare(head) in _SAID_ALONE):
        return False
    return _names_nothing(head) or _slogan(head)


def _the_words(text: str) -> tuple[int, int] | None:
    """The whole prompt, less a design noun at its end ('No Parking sign') or before a colon at its start
    ('instagram post: new arrivals'), and a closing stop."""
    named = re.match(r"[\w\s'’-]*?\b(?:%s)s?\s*:\s*" % "|".join(_DESIGN), text, re.IGNORECASE)
    start = named.end() if named and text[named.end():].strip() else 0
    words = list(re.compile(r"\S+").finditer(text, start))
    while words and _bare(words[-1].group()) in _DESIGN:
        words.pop()
    if not words:
        return None
    return words[0].start(), _end_of(text, words[-1].end(), words[0].start())


def _merged(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping spans, or ones only spaces apart ('Welcome Students! back to school'), as one."""
    out: list[tuple[int, int]] = []
    for a, b in spans:
        if out and (a <= out[-1][1] or not text[out[-1][1]:a].strip()):
            out[-1] = (out[-1][0], max(b, out[-1][1]))
        else:
            out.append((a, b))
    return out
