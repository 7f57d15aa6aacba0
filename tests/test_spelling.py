from layerstudio.document import Box, Layout, Provenance
from layerstudio.engine.pipeline import Pipeline
from layerstudio.engine.request import JobRequest, read_as_meant
from layerstudio.engine.spelling import spelled_right
from layerstudio.training.corpus import make_design


def test_misspelt_thing_and_colour_names_are_read_as_meant():
    text, fixes = spelled_right("A purpel unicorne and a huse on pinck, 'Purpel' in whte")
    assert text == "A purple unicorn and a house on pink, 'Purpel' in white"  # the quoted word is lettering
    assert fixes == [("purpel", "purple"), ("unicorne", "unicorn"), ("huse", "house"), ("pinck", "pink"),
                     ("whte", "white")]
    # the nearest spelling, a colour before a thing as near: two letters swapped are one slip ('magnet' lacks one)
    assert spelled_right("a magneta flower") == ("a magenta flower", [("magneta", "magenta")])
    # real words, names and words that name nothing drawn stay; so does a four-letter word with a letter changed
    for kept in ("a moose with a handle", "logo for Bella's Bakery", "a cafe menu", "boba tea", "#ffcc00 stars",
                 "a unicycel"):  # (no unicycle is drawn: reading it otherwise would change nothing)
        assert spelled_right(kept) == (kept, [])
    assert spelled_right("a giraff") == ("a giraffe", [("giraff", "giraffe")])  # one is drawn since Twemoji's
    # a background misspelt or shortened is one ('backround' was an object)
    assert spelled_right("an owl, dark purple bg") == ("an owl, dark purple background", [("bg", "background")])
    assert spelled_right("on a light blue backround")[0] == "on a light blue background"
    assert spelled_right("Taj Mahal at sunrise, Pixar style") == ("Taj Mahal at sunrise, Pixar style", [])  # names


def test_a_greetings_words_are_mended_before_its_lettering_is_looked_for_and_names_are_not():
    assert read_as_meant("merry chrismas with a snowman") == (
        "'Merry Christmas' with a snowman", ["Merry Christmas"], [("chrismas", "christmas")])
    assert read_as_meant("Happy Brithday Mia")[0] == "'Happy Birthday Mia'"
    assert read_as_meant("hapy birthday")[0] == "'Happy Birthday'"
    assert read_as_meant("Happy Birthday Rosa")[0] == "'Happy Birthday Rosa'"  # not 'Rose': a name lettered
    assert spelled_right("a purpel rose", occasions=True) == ("a purpel rose", [])  # things wait for lettering


def test_corpus_captions_are_read_as_written():
    for seed in range(150):
        design = make_design(seed)
        for caption in [design.caption, *design.layer_captions]:
            assert read_as_meant(caption) == (caption, [], [])  # no spelling mended, no words put in quotes


def test_a_job_reads_misspellings_and_unquoted_lettering_as_meant_and_says_so():
    pipe = Pipeline.from_preset("tiny", seed=0)
    document = pipe.generate(Layout(64, 64, "a purpel star on whte", [Box(0, 0, 32, 32)], seed=1), steps=1)
    assert document.prompt == "a purpel star on whte"  # the user's words stay theirs
    assert document.layers[1].provenance.prompt == "a purple star on white"
    request = JobRequest.regenerate(document, 1, seed=2, hint="a yelow one")
    result = pipe.run(request)
    # the prompt's as Generate said them (shown once under the prompt after a regenerate), the hint's apart
    assert result.notices[:2] == ["Read “purpel” as “purple”, “whte” as “white”.", "Read “yelow” as “yellow” in the hint."]
    assert result.apply_to(document).layers[1].provenance.hint == "a yellow one"
    # a layer's phrase, drawn from the prompt as read, still counts as the prompt's
    document.layers[1].provenance = Provenance("m", "a purple star on white", 1, 1, "a purple star")
    assert JobRequest.regenerate(document, 1, seed=3).layers[1].phrase == "a purple star"
    document.prompt = "a green star"
    assert JobRequest.regenerate(document, 1, seed=3).layers[1].phrase == ""
    # words meant to be lettered, read as quoted
    document = pipe.generate(Layout(64, 64, "a sign saying OPEN on navy", [Box(0, 0, 32, 32)], seed=1), steps=1)
    assert document.prompt == "a sign saying OPEN on navy"
    assert document.layers[1].provenance.prompt == "a sign saying 'OPEN' on navy"
    notices = pipe.run(JobRequest.regenerate(document, 1, seed=2, steps=1)).notices
    assert notices[0].startswith("Read “OPEN” as words to letter")
