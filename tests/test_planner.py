"""The planner: cutting a prompt into phrases and dealing them to anonymous boxes."""
import random
import re
from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerstudio.document import Box, Document, Layer, Layout
from layerstudio.engine.config import preset
from layerstudio.engine.decomposition import colour_evidence, shape_evidence
from layerstudio.engine.glyphs import glyph_for
from layerstudio.engine.pipeline import Pipeline
from layerstudio.engine.planner import (BACKGROUND_INSIDE, BACKGROUND_START, OBJECT_INSIDE, OBJECT_START, OUTSIDE, Planner,
                                       as_sentence, best_match, cut_phrases, locate, mend_cut, stand_in, tag_sequence,
                                       whole_units, whole_words)
from layerstudio.engine.request import JobRequest, JobResult, layer_name
from layerstudio.engine.text import Tokenizer
from layerstudio.training.corpus import make_design, style_prompt

PROMPT = "A poster: a red circle with a drop shadow, the word 'BAKE SALE' in blue and a green owl on a plain white background."
OBJECTS = ["a red circle with a drop shadow", "the word 'BAKE SALE' in blue", "a green owl"]
BACKGROUND = "a plain white background"


def text_config(captions):
    """The tiny preset's text settings with room for whole captions and their words in the vocabulary."""
    cfg = preset("tiny").text
    cfg.max_tokens, cfg.vocab = 96, Tokenizer.build_vocab(captions, min_count=1)
    return cfg


class OracleTags(nn.Module):
    """Stands in for the tagging head: the true tags of one prompt, so dealing is tested on its own."""

    def __init__(self, planner, prompt, captions):
        super().__init__()
        spans = planner.tokenizer.encode_spans(prompt, planner.max_tokens)[1]
        self.tags = torch.tensor(tag_sequence(spans, locate(prompt, captions)))

    def forward(self, features):
        return F.one_hot(self.tags, 5).float() * 10


def oracle_planner(prompt=PROMPT, captions=(BACKGROUND, *OBJECTS)):
    torch.manual_seed(0)
    planner = Planner(text_config([prompt]))
    planner.tag = OracleTags(planner, prompt, list(captions))
    return planner


def test_corpus_captions_tag_and_cut_back_into_their_layer_captions():
    planner = Planner(preset("tiny").text)
    for seed in range(200):
        design = make_design(seed)
        found = locate(design.caption, design.layer_captions)
        assert found is not None, design.caption
        ids, spans = planner.tokenizer.encode_spans(design.caption, 400)
        assert ids == planner.tokenizer.encode(design.caption, 400)
        background, objects = cut_phrases(tag_sequence(spans, found), spans)
        assert [design.caption[a:b].lower() for a, b in background] == [design.layer_captions[0].lower()]
        # objects in prompt order; the captions are the layers' own, in layer order
        assert sorted(design.caption[a:b].lower() for a, b in objects) == \
               sorted(c.lower() for c in design.layer_captions[1:])


def test_a_prompt_naming_objects_and_no_background_gets_a_plain_white_one():
    from layerstudio.engine.pipeline import UNNAMED_BACKGROUND

    pipe = Pipeline.from_preset("tiny", seed=0)
    bare = "a red circle and a green owl"
    pipe.model.planner = oracle_planner(bare, ["", "a red circle", "a green owl"])
    request = JobRequest.from_layout(Layout(128, 128, bare, [Box(0, 0, 64, 64), Box(64, 64, 128, 128)], seed=1))
    assert pipe._descriptions(request, pipe._phrases(request))[0] == UNNAMED_BACKGROUND
    assert any("names no background" in n for n in pipe.run(replace(request, steps=1)).notices)
    # an object asked in white would not show on white: the background is dark then
    from layerstudio.engine.pipeline import UNNAMED_UNDER_PALE
    pale = "a white circle and a green owl"
    pipe.model.planner = oracle_planner(pale, ["", "a white circle", "a green owl"])
    request = JobRequest.from_layout(Layout(128, 128, pale, [Box(0, 0, 64, 64), Box(64, 64, 128, 128)], seed=1))
    assert pipe._descriptions(request, pipe._phrases(request))[0] == UNNAMED_UNDER_PALE
    assert any("plain dark grey" in n for n in pipe.run(replace(request, steps=1)).notices)
    # words taken for the background that name no colour, pattern or place: plain white too, and said so
    for said, drawn in (("the weekend", False), ("a soft noise background", True), ("the sea", True),
                        ("thin stripes", True), ("a crimson wall", True), ("Friday", False), ("a hair salon logo", False)):
        prompt = f"a red circle on {said}"
        pipe.model.planner = oracle_planner(prompt, [said, "a red circle"])
        request = JobRequest.from_layout(Layout(128, 128, prompt, [Box(0, 0, 64, 64)], seed=1))
        assert (pipe._descriptions(request, pipe._phrases(request))[0] == said) == drawn, said
        told = [n for n in pipe.run(replace(request, steps=1)).notices if "names no colour, pattern or place" in n]
        if "logo" in said:  # what the design is, not a background it was asked
            told = [n for n in pipe.run(replace(request, steps=1)).notices if "names no background" in n]
        assert bool(told) != drawn and (drawn or told[0].startswith(f"“{said}”" if "logo" not in said else "The")), said
    pipe.model.planner = oracle_planner()
    request = JobRequest.from_layout(Layout(128, 128, PROMPT, [Box(0, 0, 64, 64)], seed=1))
    assert pipe._descriptions(request, pipe._phrases(request))[0] == BACKGROUND
    notices = pipe.run(replace(request, steps=1)).notices
    assert not any("names no background" in n for n in notices)
    # three objects, one box: the two left over are named
    left = [n for n in notices if "got no box" in n]
    assert len(left) == 1 and "names 3 objects and there is 1 box" in left[0]
    assert sum(f"“{o[:20]}" in left[0] for o in OBJECTS) == 2
    # a locked picture pasted in shows no object: no box for one
    doc = Document.from_layout(Layout(128, 128, PROMPT, [Box(0, 0, 64, 64), Box(64, 64, 128, 128)], seed=1))
    doc.layers[2] = replace(doc.layers[2], locked=True, pixels=np.full((64, 64, 4), 200, np.uint8))
    left = [n for n in pipe.run(JobRequest.generate(doc, 1)).notices if "got no box" in n]
    assert len(left) == 1 and "names 3 objects and there is 1 box" in left[0]
    # an empty prompt: said, and names the app gave go back to 'Layer N'
    pipe.model.planner = oracle_planner("a red star on navy", ["navy", "a red star"])
    none = replace(JobRequest.from_layout(Layout(128, 128, "a red star on navy", [], seed=1)), steps=1)
    assert any("names 1 object and there are no boxes." in n for n in pipe.run(none).notices)
    named = pipe.generate(Layout(128, 128, "a red star on navy", [Box(0, 0, 64, 64)], seed=1), steps=1)
    assert named.layers[1].name == "Red star"
    named.prompt = " "
    result = pipe.run(replace(JobRequest.generate(named, 2), steps=1))
    assert any(n.startswith("The prompt is empty") for n in result.notices)
    # ... and its background is plain white, not drawn from no words (murky noise)
    assert any(n.startswith("The prompt names no background, so it is plain white") for n in result.notices)
    assert result.apply_to(named).layers[1].name == "Layer 1"
    # a count with fewer boxes: said
    for prompt, told in (("three red stars on navy", "“three red stars” asks for 3 and 1 box shows it"),
                         ("a red star on navy", None)):
        pipe.model.planner = oracle_planner(prompt, ["navy", prompt.removesuffix(" on navy")])
        request = JobRequest.from_layout(Layout(128, 128, prompt, [Box(0, 0, 64, 64)], seed=1))
        notices = [n for n in pipe.run(replace(request, steps=1)).notices if "asks for" in n]
        assert notices == ([f"{told}: draw a box for each."] if told else [])
    # one object, three boxes: drawn three times, and said so unless meant ('three stars')
    for prompt, said in (("a red star on navy", True), ("three red stars on navy", False)):
        pipe.model.planner = oracle_planner(prompt, ["navy", prompt.removesuffix(" on navy")])
        request = JobRequest.from_layout(Layout(128, 128, prompt, [Box(0, 0, 64, 64), Box(64, 0, 128, 64),
                                                                   Box(0, 64, 64, 128)], seed=1))
        again = [n for n in pipe.run(replace(request, steps=1)).notices if "more than once" in n]
        assert len(again) == said and (not said or "names 1 object and there are 3 boxes" in again[0])
    # a box added later, when every object already has a layer: drawn again, and said so; its own layer is not
    pipe.model.planner = oracle_planner("a red star on navy", ["navy", "a red star"])
    doc = pipe.generate(Layout(128, 128, "a red star on navy", [Box(0, 0, 64, 64)], seed=1), steps=1)
    doc.layers.append(Layer(Box(64, 64, 128, 128), name="Layer 2"))
    result = pipe.run(replace(JobRequest.regenerate(doc, 2, seed=3), steps=1))
    assert result.phrases[2] == "a red star" and [n for n in result.notices if "drawn again" in n] == [
        "“a red star” is drawn again: another layer shows it already, and the prompt names nothing else for this "
        "box. Add what it shows to the prompt, or give it a hint."]
    assert not any("drawn again" in n for n in pipe.run(replace(JobRequest.regenerate(doc, 1, seed=3), steps=1)).notices)
    style = "Bold and bright."  # names nothing: plain white too (drawn from no words, it was murky noise)
    pipe.model.planner = oracle_planner(style, [])
    request = JobRequest.from_layout(Layout(128, 128, style, [Box(0, 0, 64, 64)], seed=1))
    assert pipe._descriptions(request, pipe._phrases(request))[0] == "a plain white background"
    assert any("names no object for the boxes" in n for n in pipe.run(replace(request, steps=1)).notices)


def test_a_background_regenerated_from_a_hint_is_read_with_the_hint_in_place_of_the_prompts_words():
    pipe = Pipeline.from_preset("tiny", seed=0)
    pipe.model.planner = oracle_planner()
    doc = pipe.generate(Layout(128, 128, PROMPT, [Box(0, 0, 64, 64)], seed=1), steps=1)
    request = JobRequest.regenerate(doc, 0, seed=2, hint="thin white stripes on navy")
    read = pipe._prompt_read(request)
    assert BACKGROUND not in read and read == PROMPT.replace(BACKGROUND, "thin white stripes on navy")
    assert pipe._prompt_read(JobRequest.regenerate(doc, 0, seed=2)) == PROMPT  # no hint: the prompt as written
    assert pipe._prompt_read(JobRequest.regenerate(doc, 1, seed=2, hint="a blue cat")) == PROMPT


def test_box_scores_read_the_words_beside_each_object_in_its_sentence():
    from layerstudio.engine.planner import scoring_tokens

    text = "A blue leaf on the left. In the top corner, a red star; 'GO!' below it. Background: navy."
    tokenizer = Tokenizer(["a", "blue", "leaf", "red", "star", "navy"])
    spans = tokenizer.encode_spans(text, 200)[1]
    objects = [(0, 11), (text.index("a red"), text.index("a red") + 10), (text.index("'GO!'"), text.index("'GO!'") + 5)]
    background = [(text.index("navy"), text.index("navy") + 4)]
    words = ["".join(text[spans[t][0]:spans[t][1]] for t in tokens)
             for tokens in scoring_tokens(text, spans, objects, background)]
    assert words == ["Ablueleafontheleft.", "Inthetopcorner,aredstar;", "'GO!'belowit."]


def test_an_object_said_to_be_somewhere_is_dealt_to_the_box_there():
    prompt = "an arrow pointing left at the bottom right, a red star in the top left corner and a cat on white."
    planner = oracle_planner(prompt, ["white", "an arrow pointing left", "a red star", "a cat"])
    top_left, bottom_right, middle = Box(0, 0, 64, 64), Box(192, 192, 256, 256), Box(96, 96, 160, 160)
    for seed in range(20):  # the arrow's own 'left' says which way it points, not where it goes
        dealt = planner.deal(prompt, 256, 256, [middle, bottom_right, top_left], [0, 1, 2], [], seed)
        assert dealt[1] == "an arrow pointing left" and dealt[2] == "a red star" and dealt[0] == "a cat"


def test_an_object_said_above_below_or_beside_another_is_dealt_the_box_there():
    from layerstudio.engine.planner import relative_places

    top, bottom, left, right = Box(64, 0, 192, 96), Box(64, 160, 192, 256), Box(0, 64, 96, 192), Box(160, 64, 256, 192)
    for prompt, boxes, want in (("a yellow sun above a red house on white", [bottom, top], ["a red house", "a yellow sun"]),
                                ("A blue moon. A red star below it. On white.", [top, bottom], ["A blue moon", "A red star"]),
                                ("a cat, a dog to its left, on white", [left, right], ["a dog", "a cat"])):
        planner = oracle_planner(prompt, ["white", *sorted(want, key=prompt.index)])
        for seed in range(12):
            assert planner.deal(prompt, 256, 256, boxes, [0, 1], [], seed) == dict(enumerate(want))
    # a thing named again is no object of its own, and places the one said against it
    prompt = "a bird above a tree and a dog below the tree on white"
    planner = oracle_planner(prompt, ["white", "a bird", "a tree", "a dog", "the tree"])
    middle = Box(64, 96, 192, 160)
    for seed in range(12):
        assert planner.deal(prompt, 256, 256, [bottom, middle, top], [0, 1, 2], [], seed) == \
            {0: "a dog", 1: "a tree", 2: "a bird"}
    text = "A tree. A bird above it. A dog below it."
    objects = [(text.index(p), text.index(p) + len(p)) for p in ("A tree", "A bird", "A dog")]
    assert relative_places(text, objects) == [(1, 1, -1, 0), (2, 1, 1, 0)]  # both against the tree
    text = "a sun above it, a cat next to a dog, a ball on top of a box and a star over a navy sky"
    objects = [(text.index(p), text.index(p) + len(p)) for p in ("a sun", "a cat", "a dog", "a ball", "a box", "a star")]
    assert relative_places(text, objects) == [(3, 1, -1, 4)]  # 'it' with nothing before, 'next to', the background


def test_a_thing_said_between_or_inside_others_is_dealt_the_box_there():
    from layerstudio.engine.planner import tidy_cut

    left, middle, right = Box(0, 96, 80, 176), Box(96, 96, 176, 176), Box(192, 96, 256, 176)
    big, small = Box(32, 32, 224, 224), Box(96, 96, 160, 160)
    for prompt, pieces, boxes, want in (
            ("a lamp between a sofa and a chair on white", ["a lamp between a sofa", "a chair"], [middle, left, right],
             ["a lamp", "a sofa", "a chair"]),
            ("a red heart between two blue stars on white", ["a red heart", "between two blue stars"],
             [middle, right, left], ["a red heart", "two blue stars", "two blue stars"]),
            ("a yellow star inside a blue circle on white", ["a yellow star", "a blue circle"], [small, big],
             ["a yellow star", "a blue circle"])):  # (the first box is the one the first object must have)
        text = prompt + "."
        spans = [(text.index(p), text.index(p) + len(p)) for p in pieces]
        objects = tidy_cut(text, [(text.rindex("white"), text.rindex("white") + 5)], spans)[1]
        assert sorted({text[a:b] for a, b in objects}) == sorted(set(want))
        planner = oracle_planner(prompt, ["white", *[text[a:b] for a, b in objects]])
        for seed in range(12):
            dealt = planner.deal(prompt, 256, 256, boxes, [0, 1, 2][:len(boxes)], [], seed)
            assert dealt[0] == want[0] and sorted(dealt.values()) == sorted(want), (prompt, seed, dealt)


def test_size_words_cut_apart_go_with_the_thing_after_them():
    from layerstudio.engine.planner import tidy_cut

    text = "Big bold 'SALE' and '50% OFF' underneath, red on yellow."
    spans = lambda pieces: [(text.index(p), text.index(p) + len(p)) for p in pieces]
    bg, objects = tidy_cut(text, spans(["yellow"]), spans(["Big", "'SALE'", "'50% OFF'"]))  # as the planner cut it
    assert [text[a:b] for a, b in objects] == ["Big bold 'SALE'", "'50% OFF'"]  # 'Big' took a box, 'SALE' lost it
    text = "A tiny bee and a big flower on white."
    assert [text[a:b] for a, b in tidy_cut(text, spans(["white"]), spans(["A tiny bee", "a big flower"]))[1]] == \
        ["A tiny bee", "a big flower"]


def test_pieces_across_a_comma_join_where_the_first_describes_and_stay_apart_where_it_names():
    from layerstudio.engine.planner import tidy_cut

    def cut(text, objects):
        spans = [(text.index(p), text.index(p) + len(p)) for p in objects]
        return [text[a:b] for a, b in tidy_cut(text, [], spans)[1]]

    assert cut("a big, red ball.", ["a big", "red ball"]) == ["a big, red ball"]
    assert cut("A clown, balloons and a cake.", ["A clown", "balloons", "a cake"]) == ["A clown", "balloons", "a cake"]


def test_a_list_of_colours_said_with_in_after_a_thing_is_its():
    from layerstudio.engine.planner import tidy_cut

    text = "leaves in orange, red and brown on cream."
    spans = lambda pieces: [(text.index(p), text.index(p) + len(p)) for p in pieces]
    # as the planner cut it: 'in orange' lost, 'red and brown' an object of its own
    bg, objects = tidy_cut(text, spans(["cream"]), spans(["leaves", "red and brown"]))
    assert [text[a:b] for a, b in objects] == ["leaves in orange, red and brown"]
    # ... and one said after a comma is taken whole or not at all ('Three balloons, red' lost yellow and blue)
    text = "Three balloons, red, yellow and blue, on sky blue."
    bg, objects = tidy_cut(text, spans(["sky blue"]), spans(["Three balloons", "red", "yellow", "blue"]))
    assert [text[a:b] for a, b in objects] == ["Three balloons, red, yellow and blue"]


def test_what_a_container_holds_is_one_object_with_it():
    from layerstudio.engine.planner import tidy_cut

    def cut(text, background, objects):
        spans = lambda pieces: [(text.index(p), text.index(p) + len(p)) for p in pieces]
        bg, obj = tidy_cut(text, spans(background), spans(objects))
        return [text[a:b] for a, b in bg], [text[a:b] for a, b in obj]

    # as the planner cut them: the drink taken for the background, the glass without its milk, the jar not at all
    assert cut("a mug of hot chocolate on a wooden table.", ["hot chocolate"], ["a mug", "a wooden table"]) == \
        (["a wooden table"], ["a mug of hot chocolate"])
    assert cut("a slice of pizza and a glass of milk.", [], ["a slice of pizza", "glass"]) == \
        ([], ["a slice of pizza", "a glass of milk"])
    assert cut("a jar of honey on white.", ["white"], []) == (["white"], ["a jar of honey"])
    assert cut("two cups of tea.", [], ["tea"]) == ([], ["two cups of tea"])


def test_a_thing_taken_for_the_background_is_an_object():
    from layerstudio.engine.planner import tidy_cut

    text = "a bee on a flower."
    bee, flower = (0, 5), (text.index("a flower"), text.index("a flower") + 8)
    assert tidy_cut(text, [flower], [bee]) == ([], [bee, flower])
    text = "a bee on a pink flower background."  # said to be the background: it is
    assert tidy_cut(text, [(9, len(text) - 1)], [(0, 5)]) == ([(9, len(text) - 1)], [(0, 5)])


def test_a_time_of_day_the_scene_is_at_is_its_background_and_no_object():
    from layerstudio.engine.planner import tidy_cut

    def cut(text, background, objects):  # (spans as the planner might give them, by their words)
        spans = lambda words: [(text.index(w), text.index(w) + len(w)) for w in words]
        got = tidy_cut(text, spans(background), spans(objects))
        return [text[a:b] for a, b in got[0]], [text[a:b] for a, b in got[1]]

    # run on into the object, or left out of every phrase
    assert cut("a wolf howling at night.", [], ["a wolf howling at night"]) == (["night"], ["a wolf howling"])
    assert cut("a lighthouse at sunset.", [], ["a lighthouse"]) == (["sunset"], ["a lighthouse"])
    # taken for a thing, or said of an object, beside a background said: no object
    assert cut("a red star at dawn on white.", ["white"], ["a red star", "dawn"]) == (["white"], ["a red star"])
    assert cut("a fox and a moon at night on navy.", ["navy"], ["a fox", "a moon at night"]) == \
        (["navy"], ["a fox", "a moon"])
    # lettered words are no time
    assert cut("the words 'OPEN at night' in red.", [], ["the words 'OPEN at night' in red"]) == \
        ([], ["the words 'OPEN at night' in red"])


def test_colours_said_with_in_things_held_or_worn_and_possessives_are_cut_as_meant():
    from layerstudio.engine.planner import tidy_cut

    def cut(text, background, objects):
        spans = lambda pieces: [(text.index(p), text.index(p) + len(p)) for p in pieces]
        bg, obj = tidy_cut(text, spans(background), spans(objects))
        return [text[a:b] for a, b in bg], [text[a:b] for a, b in obj]

    # as the planner cut them
    assert cut("a smiley face in bright yellow.", [], ["a smiley face in", "yellow"]) == \
        ([], ["a smiley face in bright yellow"])
    assert cut("a christmas ornament in gold and red.", [], ["a christmas ornament in gold", "red"]) == \
        ([], ["a christmas ornament in gold and red"])
    assert cut("a red star on white.", [], ["a red star", "white"]) == (["white"], ["a red star"])
    assert cut("a pineapple wearing sunglasses.", [], ["a pineapple wearing sunglasses"]) == \
        ([], ["a pineapple", "sunglasses"])
    assert cut("a teddy bear holding a heart.", [], ["a teddy bear holding", "a heart"]) == \
        ([], ["a teddy bear", "a heart"])
    assert cut("a teacher's apple on a desk.", ["a desk"], ["a teacher'", "apple"]) == \
        (["a desk"], ["a teacher's apple"])
    assert cut("lemonade stand sign with a lemon.", [], ["lemonade", "sign with a lemon"]) == ([], ["a lemon"])
    # words to letter: never the background, kept from what the design is for, apart from a thing after them
    assert cut("'Happy Halloween', bats and a ghost.", ["'Happy Halloween'"], ["bats", "a ghost"]) == \
        ([], ["'Happy Halloween'", "bats", "a ghost"])
    assert cut("a logo for 'Bella's Bakery' with a cupcake.", [], ["a logo for 'Bella's Bakery' with a cupcake"]) == \
        ([], ["'Bella's Bakery'", "a cupcake"])
    assert cut("'Happy Birthday Emma!' pink balloons and a cake.", [], ["'Happy Birthday Emma!' pink balloons",
                                                                         "a cake"]) == \
        ([], ["'Happy Birthday Emma!'", "pink balloons", "a cake"])
    assert cut("'SALE' sign and 'HI' in gold.", [], ["'SALE' sign", "'HI' in gold"]) == ([], ["'SALE' sign", "'HI' in gold"])
    # words about the look are no objects; colours after a comma are the object's before them
    assert cut("a lotus flower, calm and minimal.", [], ["a lotus flower", "calm", "minimal"]) == \
        ([], ["a lotus flower"])
    assert cut("a star, gold and red.", [], ["a star", "gold and red"]) == ([], ["a star, gold and red"])
    # a few words naming a thing, where the planner found nothing: that thing
    assert cut("a heart emoji.", [], []) == ([], ["a heart emoji"]) and cut("Make it bold.", [], []) == ([], [])


def test_a_cut_loses_words_between_phrases_at_an_objects_end_and_a_bare_colour_is_the_background():
    from layerstudio.engine.planner import tidy_cut

    def spans(text, *phrases):
        return [(text.index(p), text.index(p) + len(p)) for p in phrases]

    text = "the word 'SALE' in white next to a red star and a blue moon on white."
    last_white = (text.rindex("white"), text.rindex("white") + 5)
    background, objects = tidy_cut(text, [], spans(text, "the word 'SALE' in white next", "a red star",
                                                   "a blue moon on") + [last_white])
    assert [text[a:b] for a, b in objects] == ["the word 'SALE' in white", "a red star", "a blue moon"]
    assert background == [last_white]
    # the request's words and lone articles are no phrase's
    text = "The background is navy. Draw a cat and 'HOME' written in red."
    background, objects = tidy_cut(text, spans(text, "is navy"), spans(text, "Draw a cat", "'HOME' written in red", "The"))
    assert [text[a:b] for a, b in background] == ["navy"]
    assert [text[a:b] for a, b in objects] == ["a cat", "'HOME' written in red"]
    # no phrase goes on across a stop (a background across a comma) or stops at a mere space
    text = "Red star, blue moon, white background. A shiny red car opposite a blue bus."
    background, objects = tidy_cut(text, spans(text, "blue moon, white background"),
                                   spans(text, "Red star", "A shiny", "red car opposite", "a blue bus"))
    assert [text[a:b] for a, b in background] == ["white background"]
    assert [text[a:b] for a, b in objects] == ["Red star", "blue moon", "A shiny red car", "a blue bus"]
    # a background piece naming nothing the engine draws is no object ('A futuristic cover:')
    text = "A futuristic cover: thin pink stripes on black."
    assert tidy_cut(text, spans(text, "futuristic cover: thin pink stripes on black"), []) == \
        (spans(text, "thin pink stripes on black"), [])
    text = "Objects - red star, blue moon."
    assert [text[a:b] for a, b in tidy_cut(text, [], spans(text, "- red star", "blue moon"))[1]] == \
        ["red star", "blue moon"]
    text = "a red star & a blue moon on white and the word 'ON WHITE'"
    assert tidy_cut(text, [], spans(text, "a red star", "a blue moon on white")) == \
        (spans(text, "white"), spans(text, "a red star", "a blue moon"))
    assert tidy_cut(text, [], spans(text, "the word 'ON WHITE'")) == \
        ([], spans(text, "a red star", "a blue moon", "the word 'ON WHITE'"))  # shapes left out are objects
    # adjectives in a row go on across a comma; a piece naming a thing does not ('Red star, blue moon')
    text = "an old, rusty, brown car, a shiny, yellow sun and 'GO', red star"
    assert [text[a:b] for a, b in tidy_cut(text, [], spans(text, "an old", "rusty, brown car", "a shiny",
                                                            "yellow sun", "'GO'", "red star"))[1]] == \
        ["an old, rusty, brown car", "a shiny, yellow sun", "'GO'", "red star"]
    text = "a black and white cat, a red, white and blue flag and a red circle and blue square"
    assert [text[a:b] for a, b in tidy_cut(text, [], spans(text, "a black", "white cat", "a red, white", "blue flag",
                                                            "a red circle", "blue square"))[1]] == \
        ["a black and white cat", "a red, white and blue flag", "a red circle", "blue square"]
    # a coloured place the objects are on is the background, and so is a colour the prompt opens on
    text = "A yellow star over a navy sky."
    assert tidy_cut(text, [], spans(text, "A yellow star", "a navy sky")) == \
        (spans(text, "a navy sky"), spans(text, "A yellow star"))
    text = "On white, a red star and a blue moon."
    assert tidy_cut(text, [], spans(text, "a red star", "a blue moon")) == \
        (spans(text, "white"), spans(text, "a red star", "a blue moon"))
    # a place the objects are in or on is the background though no colour is named; so are colours after 'on' that
    # no phrase holds
    for text, place in (("a boat on the sea", "the sea"), ("a bird in the sky", "the sky"), ("a fox in a forest", "a forest"),
                        ("a lighthouse by the ocean", "the ocean"),
                        ("a bird flying over a blue sky.", "blue sky")):
        assert tidy_cut(text, [], spans(text, text.split()[1], place)) == \
            (spans(text, place), spans(text, text.split()[1]))
    text = "a star on white, make it pop."
    assert tidy_cut(text, [], spans(text, "a star")) == (spans(text, "white"), spans(text, "a star"))
    # what is said of an object after a comma is the object's; an effect said with 'with' is no object of its own
    text = "a red star, glowing, a heart, bright red, on pink, a cat, in the top left corner."
    bright_red = (text.rindex("red"), text.rindex("red") + 3)
    assert [text[a:b] for a, b in tidy_cut(text, spans(text, "pink"), sorted(
            spans(text, "a red star", "a heart", "a cat") + [bright_red]))[1]] == \
        ["a red star, glowing", "a heart, bright red", "a cat"]
    text = "a red star on white with a glow and a blue moon with a soft glow."
    assert [text[a:b] for a, b in tidy_cut(text, spans(text, "white"), spans(text, "a red star", "a glow",
                                                                             "a blue moon", "a soft glow"))[1]] == \
        ["a red star", "a blue moon with a soft glow"]
    text = "three balloons on sky blue with soft shadows"  # the planner read 'soft shadows' as the background
    assert tidy_cut(text, spans(text, "soft shadows"), spans(text, "three balloons")) == \
        (spans(text, "sky blue"), spans(text, "three balloons"))
    text = "a red star, a blue moon and a green tree on white with a drop shadow"  # the planner read a fourth object
    assert tidy_cut(text, [], spans(text, "a red star", "a blue moon", "a green tree", "white with a drop shadow")) == \
        (spans(text, "white"), spans(text, "a red star", "a blue moon", "a green tree"))
    text = "a red car a blue truck on grey"  # 'car' left outside: the bare 'a red' takes it in
    assert tidy_cut(text, spans(text, "grey"), spans(text, "a red", "a blue truck")) == \
        (spans(text, "grey"), spans(text, "a red car", "a blue truck"))
    text = "red circle blue square green triangle white background"
    assert tidy_cut(text, spans(text, "green triangle white background"), spans(text, "red circle blue square")) == \
        (spans(text, "white background"), spans(text, "red circle", "blue square", "green triangle"))
    text = "red star blue moon. a smiley face with a thick black outline. a design with the word 'GO' with a shadow."
    assert [text[a:b] for a, b in tidy_cut(text, [], spans(text, "red star blue moon", "a smiley face",
                                                            "a thick black outline", "the word 'GO' with a shadow"))[1]] == \
        ["red star", "blue moon", "a smiley face with a thick black outline", "the word 'GO' with a shadow"]
    # one word after an article goes on across 'and' into a piece without one; a piece naming a thing does not
    text = "a salt and pepper shaker, a star and moon logo, a fluffy dragon and blue moon."
    assert [text[a:b] for a, b in tidy_cut(text, [], spans(text, "a salt", "pepper shaker", "a star", "moon logo",
                                                            "a fluffy dragon", "blue moon"))[1]] == \
        ["a salt and pepper shaker", "a star", "moon logo", "a fluffy dragon", "blue moon"]
    # no objects: a place alone, what the design is for before the colon that opens its objects, the look
    text = "Warm, cosy feel. A bear in retro style on cream."
    assert [text[a:b] for a, b in tidy_cut(text, spans(text, "cream"), spans(text, "Warm", "A bear", "retro"))[1]] == \
        ["A bear"]
    text = "Create a poster for a summer party: a big sun, the word 'HI' across the middle. Make it pop and feel fun."
    assert [text[a:b] for a, b in tidy_cut(text, [], spans(text, "a summer party", "a big sun", "the word 'HI'",
                                                            "the middle", "feel"))[1]] == ["a big sun", "the word 'HI'"]
    # what a design is and is for, before its objects, names none of them
    text = "Instagram post for a coffee shop. A brown cup, a card with a heart. Logo for a bakery with a croissant."
    assert [text[a:b] for a, b in tidy_cut(text, [], spans(text, "Instagram post", "a coffee shop", "A brown cup",
                                                            "a card", "a heart", "bakery", "a croissant"))[1]] == \
        ["A brown cup", "a heart", "a croissant"]
    # a colour said with 'in' after an object is its; a count or measure before one too
    text = "a star in #ffcc00, a moon in gold and silver on navy, three stars, two hearts, a pair of blue shoes."
    gold = (text.index("gold"), text.index("gold") + 4)
    assert [text[a:b] for a, b in tidy_cut(text, spans(text, "navy"), sorted(
            spans(text, "a star", "a moon", "hearts", "a pair", "blue shoes") + [gold]))[1]] == \
        ["a star in #ffcc00", "a moon in gold and silver", "three stars", "two hearts", "a pair of blue shoes"]
    # a background already found stays; phrases that are right stay as they are
    text = "a red star pointing up, a grey cat on a plain white background."
    found = spans(text, "a plain white background"), spans(text, "a red star pointing up", "a grey cat")
    assert tidy_cut(text, *found) == found


def test_locate_takes_repeated_captions_in_turn_and_misses_what_is_absent():
    prompt = "a red dot, a red dot and a blue dot on black"
    black = prompt.index("black")
    assert locate(prompt, ["black", "a red dot", "a red dot"]) == [(black, black + 5), (0, 9), (11, 20)]
    assert locate(prompt, ["black", "a red dot", "a red dot", "a red dot"]) is None


def test_layer_names_are_one_short_printable_line_or_nothing():
    assert layer_name("a\u00a0red\u00a0star\u200b") == "Red star"
    assert layer_name("a red\nstar,") == "Red star"
    assert layer_name("+ blue circle +") == "Blue circle"
    long = layer_name("a " + "x" * 3000 + " star")
    assert len(long) == 60 and long.endswith("…")
    # a long run of words before the thing loses its middle, not the thing; its extras lose their end
    car = layer_name("a big shiny sparkling gleaming vintage retro orange glittering polished racing car with a glow")
    assert len(car) <= 60 and car.startswith("Big shiny") and car.endswith("… racing car")
    circle = layer_name("a red circle with a drop shadow and a soft glow and some sparkles all around its edge")
    assert len(circle) <= 60 and circle.startswith("Red circle with a drop shadow") and circle.endswith("…")
    assert layer_name("!!! ???") == layer_name("- - -") == layer_name("") == ""


def test_each_box_of_a_counted_object_is_named_after_one_of_them():
    from layerstudio.engine.counting import singular

    plurals = ["hearts", "cherries", "boxes", "dresses", "tomatoes", "shoes", "cookies", "leaves", "mice", "sheep",
               "cactus", "HEARTS"]
    assert [singular(w) for w in plurals] == ["heart", "cherry", "box", "dress", "tomato", "shoe", "cookie", "leaf",
                                              "mouse", "sheep", "cactus", "HEART"]
    assert singular("sunglasses") == "sunglasses"  # one thing
    assert layer_name("two pink hearts") == "Pink heart"
    assert layer_name("A pair of blue shoes with white laces") == "Blue shoe with white laces"
    assert layer_name("3 cats sitting on a mat") == "Cat sitting on a mat"
    assert layer_name("two 'SALE' signs") == "'SALE' sign"
    assert layer_name("Three") == "Three" and layer_name("twofold hearts") == "Twofold heart"  # no count, a plural
    assert layer_name("some pink balloons") == "Pink balloon" and layer_name("french fries") == "French fries"
    # several things, a colour each: the list is no part of one's name ('Balloon, red, yellow and blue' before)
    assert layer_name("Three balloons, red, yellow and blue") == layer_name("balloons in red and white") == "Balloon"
    assert layer_name("a black and white cow") == "Black and white cow"  # one thing: its colours stay
    # through a job's result: both boxes dealt 'two pink hearts' are named after a pink heart, told apart
    doc = Document(128, 128, "two pink hearts on white", [Layer(Box(0, 0, 128, 128), name="Background"),
                   Layer(Box(0, 0, 64, 64), name="Layer 1"), Layer(Box(64, 0, 128, 64), name="Layer 2")])
    request = JobRequest.generate(doc)
    pixels = [np.zeros((s.box.height, s.box.width, 4), np.uint8) for s in request.layers]
    result = JobResult(request, pixels, np.zeros((128, 128, 4), np.uint8), "m", 1,
                       ["white", "two pink hearts", "two pink hearts"])
    named = result.apply_to(doc)
    assert [layer.name for layer in named.layers] == ["Background", "Pink heart", "Pink heart 2"]  # told apart
    # regenerated as the same thing, each keeps its name; as another, the number goes with the old name
    again = JobResult(JobRequest.regenerate(named, 2, seed=5), pixels, np.zeros((128, 128, 4), np.uint8), "m", 1,
                      ["white", "two pink hearts", "two pink hearts"]).apply_to(named)
    assert [layer.name for layer in again.layers] == ["Background", "Pink heart", "Pink heart 2"]
    hinted = JobRequest.regenerate(named, 1, seed=5, hint="a green moon")
    moon = JobResult(hinted, pixels, np.zeros((128, 128, 4), np.uint8), "m", 1,
                     ["white", "two pink hearts", "two pink hearts"]).apply_to(named)
    assert [layer.name for layer in moon.layers] == ["Background", "Green moon", "Pink heart 2"]
    # a layer locked while the job ran is kept as it was, and the names the job gives are numbered apart from its
    # (an import beside a locked 'Blue square' made a second one, and a 'Red circle 2' with no 'Red circle')
    squares = replace(named, layers=[named.layers[0], replace(named.layers[1], name="Blue square", locked=True),
                                     named.layers[2]])
    dealt = JobResult(JobRequest.generate(squares), pixels, np.zeros((128, 128, 4), np.uint8), "m", 1,
                      ["white", "a red circle", "a blue square"]).apply_to(squares, kept={1})
    assert [layer.name for layer in dealt.layers] == ["Background", "Blue square", "Blue square 2"]
    assert dealt.layers[1].provenance.phrase == "two pink hearts" and np.array_equal(dealt.layers[1].pixels, squares.layers[1].pixels)


def test_a_copy_of_a_layer_named_by_the_app_is_renamed_by_what_it_then_shows():
    from layerstudio.document import Provenance

    moon = Provenance("m", "a blue moon on white", 1, 1, "a blue moon")
    doc = Document(128, 128, "a blue moon on white", [Layer(Box(0, 0, 128, 128), name="Background")] + [
        Layer(Box(0, 0, 64, 64), name=name, provenance=moon) for name in ("Blue moon copy", "Blue moon copy 2", "Mine")]
        + [Layer(Box(0, 0, 64, 64), name="Pasted picture")])  # the app's name for a picture, unlocked and drawn over
    request = JobRequest.generate(doc)
    pixels = [np.zeros((s.box.height, s.box.width, 4), np.uint8) for s in request.layers]
    result = JobResult(request, pixels, np.zeros((128, 128, 4), np.uint8), "m", 1,
                       ["", "a purple owl", "an owl", "a cat", "an orange fish"])
    assert [layer.name for layer in result.apply_to(doc).layers] == ["Background", "Purple owl", "Owl", "Mine",
                                                                      "Orange fish"]


def test_phrases_are_widened_to_whole_words_without_trailing_punctuation():
    assert whole_words("a red star,a blue circle", [(2, 10), (11, 24)]) == [(2, 10), (11, 24)]
    text = "three stars, a cat."
    assert whole_words(text, [(0, 3), (3, 8)]) == [(0, 11)]  # 'thr' + 'ee st' -> 'three stars'
    assert whole_words(text, [(13, 16), (2, 2)]) == [(0, 5), (13, 18)]  # "three", "a cat"
    hyphen = "A sky-blue cloud - a star"
    assert whole_words(hyphen, [(0, 5), (6, 16), (19, 25)]) == [(0, 16), (19, 25)]  # 'A sky' + 'blue cloud' 
    assert [text[a:b] for a, b in whole_words(text, [(15, 17)])] == ["cat"]


def test_a_colour_name_read_letter_by_letter_is_cut_as_one_unit():
    tokenizer = Tokenizer(["a", "star", "on", "grey", ".", "the", "word"])
    O, BS, BI, OS, OI = OUTSIDE, BACKGROUND_START, BACKGROUND_INSIDE, OBJECT_START, OBJECT_INSIDE

    def read(text, tags):
        spans = tokenizer.encode_spans(text, 96)[1]
        assert len(spans) == len(tags)
        background, objects = cut_phrases(whole_units(text, tags, spans), spans)
        return [text[a:b] for a, b in whole_words(text, background)], [text[a:b] for a, b in whole_words(text, objects)]

    text = "A star on dark grey."  # BOS A star on d a r k grey .
    torn = [O, OS, OI, O, BS, BI, BI, BI, OS, O]  # the letters tagged apart: background "dark", object "grey"
    assert read(text, torn) == (["dark grey"], ["A star"])
    assert read(text, [O, OS, OI, O, OS, BI, BI, BI, OI, O]) == (["dark grey"], ["A star"])  # the letters outvote
    # quoted text is one unit too, apostrophes and all
    text = 'The word "Don\'t" on grey.'  # BOS the word " D o n ' t " on grey .
    assert read(text, [O, OS, OI, OI, OI, OI, OI, O, O, OI, O, BS, O]) == (["grey"], ['The word "Don\'t"'])
    # words in quotes are drawn: never outside, though most of their letters are tagged so
    text = "'Tom' on grey."  # BOS ' T o m ' on grey .
    assert read(text, [O, OS, O, O, O, OI, O, BS, O]) == (["grey"], ["'Tom'"])


def test_a_prompt_is_read_as_a_sentence_ending_in_a_stop():
    # every training prompt ends with one; without it "... on white" was read as an object "white"
    assert as_sentence("a red star on white") == "a red star on white."
    for done in ("A red star on white.", "Wow!", "Really?", "a star on white.  ", "", "   "):
        assert as_sentence(done) == done
    prompt = "a red star and the word 'HI' on white"
    assert as_sentence(prompt).startswith(prompt)  # phrases keep their places


def test_deal_gives_each_box_its_own_phrase_and_depends_on_the_seed():
    planner = oracle_planner()
    boxes = [Box(0, 0, 64, 64), Box(64, 0, 256, 48), Box(100, 100, 160, 160)]
    deals = [planner.deal(PROMPT, 256, 256, boxes, [0, 1, 2], [], seed) for seed in range(12)]
    for dealt in deals:
        assert sorted(dealt) == [0, 1, 2]
        assert sorted(dealt.values()) == sorted(OBJECTS)  # every object once: no two layers show the same
    assert len({tuple(sorted(d.items())) for d in deals}) > 1  # which box gets which object varies by seed
    assert planner.deal(PROMPT, 256, 256, boxes, [0, 1, 2], [], 3) == deals[3]


def test_deal_leaves_taken_phrases_for_last_and_repeats_only_when_boxes_outnumber_objects():
    planner = oracle_planner()
    boxes = [Box(0, 0, 64, 64)] * 5
    # regenerating one layer while the others show two of the three objects: it gets the one left
    for seed in range(6):
        assert planner.deal(PROMPT, 256, 256, boxes, [4], [OBJECTS[0], OBJECTS[2].upper()], seed) == {4: OBJECTS[1]}
    dealt = planner.deal(PROMPT, 256, 256, boxes, [0, 1, 2, 3, 4], [], 0)
    assert set(dealt.values()) == set(OBJECTS) and len(dealt) == 5


def test_a_prompt_without_objects_deals_nothing():
    planner = oracle_planner("a plain white background", ["a plain white background"])
    assert planner.deal("a plain white background", 256, 256, [Box(0, 0, 64, 64)], [0], [], 0) == {}


def test_a_prompt_about_the_look_alone_is_taught_as_naming_nothing():
    """Training gives some prompts no layer captions ("Make it pop."): every token's target is outside."""
    prompt = style_prompt(random.Random(1))
    planner = Planner(text_config([prompt]))

    class Says(nn.Module):
        def __init__(self, tag):
            super().__init__()
            self.tag = tag

        def forward(self, features):
            return F.one_hot(torch.full(features.shape[:-1], self.tag), 5).float() * 10

    losses = {}
    for tag in (OUTSIDE, OBJECT_START):
        planner.tag = Says(tag)
        loss, stats = planner.loss([prompt], [[]], [[Box(0, 0, 8, 8)]], [(64, 64)])
        losses[tag] = (loss.item(), stats["tag_accuracy"])
    assert losses[OUTSIDE] == (pytest.approx(0, abs=1e-3), 1.0)
    assert losses[OBJECT_START][0] > 5 and losses[OBJECT_START][1] == 0.0


def test_planner_learns_to_tag_corpus_captions():
    """A few steps on corpus captions teach the tagging; the real model trains 1,500 steps."""
    torch.manual_seed(0)
    designs = [make_design(seed, canvas=(64, 64), max_layers=3) for seed in range(48)]
    planner = Planner(text_config([d.caption for d in designs]), width=32, depth=1)
    optim = torch.optim.AdamW(planner.parameters(), lr=3e-3)
    for step in range(60):
        batch = designs[(step % 6) * 8:(step % 6) * 8 + 8]
        loss, stats = planner.loss([d.caption for d in batch], [d.layer_captions for d in batch],
                                   [[l.box for l in d.document.layers[1:]] for d in batch], [(64, 64)] * 8)
        if step == 0:
            first = stats["tag_accuracy"]
        optim.zero_grad()
        loss.backward()
        optim.step()
    assert first < 0.5 < 0.9 < stats["tag_accuracy"]


def test_generate_names_layers_after_their_phrases_and_regenerate_keeps_them():
    pipe = Pipeline.from_preset("tiny", seed=0)
    pipe.model.planner = oracle_planner()
    layout = Layout(256, 256, PROMPT, [Box(0, 0, 64, 64), Box(64, 0, 256, 48), Box(96, 96, 160, 160)], seed=4)
    doc = pipe.generate(layout, steps=1)
    phrases = [l.provenance.phrase for l in doc.layers]
    assert phrases[0] == "" and sorted(phrases[1:]) == sorted(OBJECTS)
    assert [l.name for l in doc.layers[1:]] == [layer_name(p) for p in phrases[1:]]
    assert layer_name("the word 'BAKE SALE' in blue") == "Word 'BAKE SALE' in blue"
    assert layer_name("'happy birthday!'") == layer_name("“happy birthday!”") == "Happy birthday!"

    again = pipe.regenerate(doc, 2, seed=77)
    assert again.layers[2].provenance.phrase == phrases[2] and again.layers[2].name == doc.layers[2].name
    hinted = pipe.regenerate(doc, 2, seed=78, hint="a purple cat")
    assert hinted.layers[2].provenance.phrase == ""  # drawn from the hint, not from the prompt
    assert hinted.layers[2].name == "Purple cat"
    # the hint cleared, the layer is dealt an object again and named after it
    cleared = pipe.regenerate(hinted, 2, seed=79, hint="")
    assert cleared.layers[2].provenance.phrase in OBJECTS
    assert cleared.layers[2].name == layer_name(cleared.layers[2].provenance.phrase)
    # an edit elsewhere in the prompt (here trailing space) leaves every layer its object
    edited = doc.copy()
    edited.prompt = PROMPT + "  "
    assert pipe.run(JobRequest.regenerate(edited, 1, seed=80)).phrases[1:] == phrases[1:]
    assert JobRequest.regenerate(edited, 1, seed=80, hint="  ").layers[1].hint == ""
    # a new box in the same document gets an object no other layer shows (here the one left)
    doc.layers[3].provenance = None
    request = JobRequest.regenerate(doc, 3, seed=5)
    assert pipe.run(request).phrases[3] == phrases[3]

    # generating the whole design again deals afresh, and never renames a layer the user named
    doc.layers[1].name = "Mine"
    fresh = pipe.run(JobRequest.generate(doc, steps=1)).apply_to(doc)
    assert fresh.layers[1].name == "Mine" and sorted(l.provenance.phrase for l in fresh.layers[1:]) == sorted(OBJECTS)


def picture_of_objects(boxes_and_colours, size=128):
    """White canvas, each box filled with a square of its colour inside a margin: what decomposition is given."""
    image = np.full((size, size, 4), 255, np.uint8)
    for box, rgb in boxes_and_colours:
        image[box.y0 + 4:box.y1 - 4, box.x0 + 4:box.x1 - 4, :3] = rgb
    return image


def test_decomposition_deals_each_box_the_object_its_colours_show():
    # the boxes overlap: the blue words' box hides part of the red circle's, whose visible rest is still red
    red, blue, green = Box(0, 0, 64, 64), Box(32, 32, 128, 80), Box(16, 88, 64, 128)
    image = picture_of_objects([(red, (220, 38, 38)), (blue, (35, 85, 220)), (green, (40, 160, 60))])
    pipe = Pipeline.from_preset("tiny", seed=0)
    pipe.model.planner = oracle_planner()
    for boxes, seed in (([red, blue, green], 1), ([green, red, blue], 7)):
        dealt = [l.provenance.phrase for l in pipe.decompose(image, boxes, prompt=PROMPT, seed=seed, steps=1).layers]
        colour_of = {red: OBJECTS[0], blue: OBJECTS[1], green: OBJECTS[2]}
        assert dealt == ["", *(colour_of[b] for b in boxes)]


def test_colour_evidence_reads_only_what_a_box_shows():
    below, above = Box(0, 0, 64, 64), Box(0, 0, 64, 48)
    image = picture_of_objects([(below, (220, 38, 38)), (above, (35, 85, 220))])
    evidence = colour_evidence(image, [below, above], [0, 1], ["a red disc", "a blue star", "the word 'red'"])
    # the lower box's visible strip is white and red; the upper box blue (and a strip of the red below it); a
    # colour in quotes is lettering
    assert evidence[0, 0] > 0.3 and evidence[0, 1] == 0 and evidence[1, 1] > 0.6 and evidence[1, 0] < 0.1
    assert (evidence[:, 2] == 0).all()
    # a box hidden almost entirely reads all of itself
    hidden = colour_evidence(image, [above, below], [0], ["a blue star"])
    assert hidden[0, 0] > 0.6


def test_decomposition_tells_objects_of_one_colour_apart_by_their_shapes():
    prompt = "A purple crescent moon and a purple circle on white."
    moon, circle = "a purple crescent moon", "a purple circle"
    left, right = Box(8, 8, 72, 72), Box(88, 8, 152, 72)
    image = np.full((80, 160, 4), 255, np.uint8)
    for box, phrase in ((left, moon), (right, circle)):
        shape = glyph_for(phrase, box.width, box.height) > 0.5
        image[box.y0:box.y1, box.x0:box.x1][shape, :3] = (124, 58, 237)  # purple
    evidence = shape_evidence(image, [left, right], [0, 1], [circle, moon, "the word 'purple'"])
    assert evidence[0, 1] > 0.9 and evidence[1, 0] > 0.9 and evidence[0, 0] < 0.8 and evidence[1, 1] < 0.8
    assert (evidence[:, 2] == 0).all()  # no colour named outside the quotes: the picture cannot tell its pixels
    pipe = Pipeline.from_preset("tiny", seed=0)
    pipe.model.planner = oracle_planner(prompt, ("white", moon, circle))
    for boxes, seed in (([left, right], 1), ([right, left], 7)):
        layers = pipe.decompose(image, boxes, prompt=prompt, seed=seed, steps=1).layers
        assert [l.provenance.phrase.lower() for l in layers] == ["", *({left: moon, right: circle}[b] for b in boxes)]


def test_best_match_takes_the_best_pairs_and_deals_every_phrase_before_any_again():
    fit = np.array([[0.9, 0.8, 0.0], [0.95, 0.1, 0.0], [0.5, 0.4, 0.3], [0.2, 0.9, 0.1]])
    match = best_match(fit)
    assert match[1] == 0 and match[3] == 1 and sorted(match.values()).count(2) == 1
    assert sorted(best_match(np.zeros((5, 2))).values()) == [0, 0, 0, 1, 1]
    # columns in `first`, then those in `then`, then any again
    fit = np.array([[0.0, 1.0, 0.0]] * 2)
    assert sorted(best_match(fit, {0}).values()) == [0, 1] and sorted(best_match(fit, {0}, {2}).values()) == [0, 2]
    # a round's pairs fit best together: the wide box goes to the lettering that fits no other box, though the other
    # object scores it higher ('two maple leaves' took it from 'FALL SALE 30% OFF' when the best pair went first)
    assert best_match(np.array([[5.0, 4.0], [1.0, -10.0]])) == {0: 1, 1: 0}
    assert best_match(np.array([[5.0, 4.0, 0.0], [1.0, -10.0, 0.0], [0.0, 0.0, -1.0]]), {0, 1}) == {0: 1, 1: 0, 2: 0}
    # boxes left over after every column's first take only the `spare` ones (lettering is written once)
    fit = np.array([[0.0, 1.0], [1.0, 0.0], [5.0, 0.0], [5.0, 0.0]])
    assert sorted(best_match(fit).values()) == [0, 0, 1, 1]
    assert sorted(best_match(fit, spare={1}).values()) == [0, 1, 1, 1]


def test_a_pictures_boxes_each_take_what_they_show_a_count_included():
    from layerstudio.engine.planner import shown_match

    # measured: three red stars and a blue circle, the circle in box 2 (rounds of every phrase gave box 0 the circle)
    fit = np.array([[18.39, -0.2], [23.22, -1.37], [-1.48, 27.27], [19.16, -0.25]])
    assert shown_match(fit, ["Three red stars", "a blue circle"]) == {0: 0, 1: 0, 2: 1, 3: 0}
    # every phrase still has a box where the boxes allow, the best together; boxes beyond the counts take their best
    assert shown_match(np.array([[5.0, 4.0], [1.0, -10.0]]), ["a star", "a moon"]) == {0: 1, 1: 0}
    assert shown_match(np.array([[5.0, 1.0], [4.0, 0.0], [0.0, 3.0]]), ["a star", "a moon"]) == {0: 0, 1: 0, 2: 1}


def test_an_object_asked_for_twice_takes_two_boxes_before_another_repeats():
    from layerstudio.engine.counting import count_of

    assert [count_of(p) for p in ("two pink hearts", "A pair of shoes", "3 stars", "a star", "twofold")] == [2, 2, 3, 1, 1]
    assert count_of("a pair of sunglasses") == count_of("a pair of red headphones with a glow") == 1  # one thing
    prompt = "two pink hearts and a purple star on white"
    planner = oracle_planner(prompt, ["white", "two pink hearts", "a purple star"])
    boxes = [Box(0, 0, 64, 64), Box(64, 0, 128, 64), Box(0, 64, 64, 128)]
    for seed in range(8):
        assert sorted(planner.deal(prompt, 128, 128, boxes, [0, 1, 2], [], seed).values()) == \
            ["a purple star", "two pink hearts", "two pink hearts"]
        assert sorted(planner.deal(prompt, 128, 128, boxes[:2], [0, 1], [], seed).values()) == \
            ["a purple star", "two pink hearts"]
    # lettering is written once: the spare box takes a thing, though the thing names no count or plural
    prompt = "the words 'Thank you' and white confetti on navy"
    planner = oracle_planner(prompt, ["navy", "the words 'Thank you'", "white confetti"])
    for seed in range(8):
        assert sorted(planner.deal(prompt, 128, 128, boxes, [0, 1, 2], [], seed).values()) == \
            ["the words 'Thank you'", "white confetti", "white confetti"]
    # things named in the plural without a count take the spare boxes before a thing named once is drawn again
    prompt = "pink balloons and a purple star on white"
    planner = oracle_planner(prompt, ["white", "pink balloons", "a purple star"])
    for seed in range(8):
        assert sorted(planner.deal(prompt, 128, 128, boxes + [Box(64, 64, 128, 128)], [0, 1, 2, 3], [], seed).values()) \
            == ["a purple star"] + ["pink balloons"] * 3


def test_models_without_a_planner_deal_nothing():
    pipe = Pipeline.from_preset("tiny", seed=0)
    pipe.model.planner = None
    doc = pipe.generate(Layout(128, 128, PROMPT, [Box(0, 0, 64, 64)], seed=1), steps=1)
    assert doc.layers[1].provenance.phrase == "" and doc.layers[1].name == "Layer 1"
    doc = pipe.decompose(picture_of_objects([(Box(0, 0, 64, 64), (220, 38, 38))]), [Box(0, 0, 64, 64)],
                         prompt=PROMPT, steps=1)
    assert [l.provenance.phrase for l in doc.layers] == ["", ""]


def test_a_saved_model_without_planner_weights_loads_without_one(tmp_path):
    pipe = Pipeline.from_preset("tiny", seed=0)
    pipe.save(tmp_path / "with")
    assert Pipeline.load(tmp_path / "with").model.planner is not None
    pipe.model.planner = None
    pipe.save(tmp_path / "without")
    assert Pipeline.load(tmp_path / "without").model.planner is None


def test_planners_saved_before_word_starts_load_and_read_as_then(tmp_path):
    pipe = Pipeline.from_preset("tiny", seed=0)
    planner = pipe.model.planner
    assert torch.count_nonzero(planner.word_start) == 0  # a fresh one reads as a planner without it
    with torch.no_grad():
        planner.word_start.normal_()
    pipe.save(tmp_path / "with")
    loaded = Pipeline.load(tmp_path / "with").model.planner
    assert torch.equal(loaded.word_start, planner.word_start)
    prompt = "A shiny red sports car and a blue star on white."
    with torch.no_grad():
        marked = loaded.encode([prompt])[0]
        loaded.word_start = None  # as saved before it existed
        pipe.model.planner = loaded
        pipe.save(tmp_path / "without")
        old = Pipeline.load(tmp_path / "without").model.planner
        assert old.word_start is None and torch.equal(old.encode([prompt])[0], loaded.encode([prompt])[0])
        assert not torch.equal(marked, old.encode([prompt])[0])


def cut_texts(text, background, objects):
    spans = lambda words: [(text.index(w), text.index(w) + len(w)) for w in words]
    bg, obj = mend_cut(text, spans(background), spans(objects))
    return [text[a:b] for a, b in bg], [text[a:b] for a, b in obj]


def test_phrases_cut_short_of_an_untrained_icon_name_are_mended():
    # the planner never saw these names, and its cuts dropped them or split them
    assert cut_texts("A blue butterfly on grey.", ["grey"], ["A blue"]) == (["grey"], ["A blue butterfly"])
    assert cut_texts("A purple piggy bank and a red star on white.", ["white"], ["A purple piggy", "bank", "a red star"]) \
        == (["white"], ["A purple piggy bank", "a red star"])
    assert cut_texts("A sky blue kangaroo, a red star on white.", ["white"], ["A sky blue", "kangaroo", "a red star"]) \
        == (["white"], ["A sky blue kangaroo", "a red star"])
    # a name no phrase touches becomes one, with the words before it back to a word between phrases
    assert cut_texts("A red star and a green shiny dolphin on white.", ["white"], ["A red star"]) \
        == (["white"], ["A red star", "a green shiny dolphin"])
    # colour words read as the background's, and words before the name, are the object's
    assert cut_texts("a yellow piggy bank and a pink piggy bank on white.", ["yellow", "white"], ["a", "a pink piggy"]) \
        == (["white"], ["a yellow piggy bank", "a pink piggy bank"])
    assert cut_texts("a red star and some golden french fries on grey.", ["grey"], ["a red star", "fries"]) \
        == (["grey"], ["a red star", "some golden french fries"])
    assert cut_texts("red dolphins on white.", ["dolphins", "white"], ["red"]) == (["white"], ["red dolphins"])
    # a background phrase that is only such a name is an object's
    assert cut_texts("A pink unicorn on white.", ["unicorn", "white"], []) == (["white"], ["A pink unicorn"])
    # whole phrases, quoted words and the background's own words are left as they are
    for text, background, objects in (("A red dolphin with a glow on white.", ["white"], ["A red dolphin with a glow"]),
                                      ("The word 'SHARK' in red on white.", ["white"], ["The word 'SHARK' in red"]),
                                      ("A red star on a shark pattern background.", ["a shark pattern background"], ["A red star"]),
                                      ("A red star on a plain white background.", ["a plain white background"], ["A red star"])):
        assert cut_texts(text, background, objects) == (background, objects)


def test_a_name_past_what_the_planner_reads_is_not_dealt():
    planner = Pipeline.from_preset("tiny", seed=0).model.planner
    prompt = "a red kite and a blue boat and a green tree and a tall house by the sea with a pink dolphin"
    _, _, spans = planner.encode([as_sentence(prompt)])
    assert max(e for _, e in spans[0]) < prompt.index("dolphin")  # the tiny planner reads fewer tokens
    boxes = [Box(0, 0, 32, 32), Box(32, 32, 64, 64), Box(0, 32, 32, 64)]
    dealt = planner.deal(prompt, 64, 64, boxes, [0, 1, 2], [], seed=3)
    assert len(dealt) == 3 and not any("dolphin" in phrase for phrase in dealt.values())


def test_a_prompt_longer_than_the_planner_reads_at_once_is_read_a_clause_at_a_time():
    planner = Pipeline.from_preset("tiny", seed=0).model.planner
    prompt = "a red kite, a blue boat, a green tree; a red house. A pink dolphin, on white."
    assert planner.tokenizer.unread(prompt, planner.max_tokens)  # more than the tiny planner reads at once
    parts = planner.read_parts(prompt)
    assert len(parts) > 1 and parts[0][0] == 0 and parts[-1][1] == len(prompt)
    assert all(b <= c for (_, b), (c, _) in zip(parts, parts[1:])) and not prompt[parts[0][1]:parts[1][0]].strip()
    assert not any(planner.tokenizer.unread(prompt[a:b], planner.max_tokens) for a, b in parts)
    features, spans = planner._read(prompt)
    assert features.shape[0] == len(spans) > planner.max_tokens and spans[0] == (0, 0)
    assert prompt[spans[-1][0]:spans[-1][1]] == "." and planner.unread(prompt) == ""
    # a clause longer than it reads loses its end, which the notice shows
    assert planner.unread("a red kite and a blue boat and a green tree and a tall yellow house by the sea").endswith("sea")
    assert planner.read_parts("a red kite.") == [(0, 11)]


def test_a_prompt_longer_than_the_planner_reads_gets_a_notice_though_the_text_encoder_reads_it():
    from layerstudio.engine.request import JobRequest

    pipe = Pipeline.from_preset("tiny", seed=0)
    prompt = "a shiny red kite with a long tail"
    assert pipe.model.text.unread(prompt) == ""  # it leaves out the words it never learnt: all but 'red'
    assert pipe.model.planner.tokenizer.unread(prompt, pipe.model.planner.max_tokens)
    request = JobRequest.from_layout(Layout(64, 64, prompt, [Box(0, 0, 32, 32)], seed=1))
    assert any("longer than this model reads" in n for n in pipe.notices(request))
    pipe.model.planner = None
    assert not any("longer than this model reads" in n for n in pipe.notices(request))


def test_a_long_prompt_the_planner_reads_clause_by_clause_gets_no_notice_though_the_text_encoder_stops():
    pipe = Pipeline.from_preset("tiny", seed=0)
    prompt = ", ".join(["a red kite"] * 40) + " on blue."
    assert pipe.model.text.unread(prompt) and pipe.model.planner.unread(prompt) == ""
    request = JobRequest.from_layout(Layout(64, 64, prompt, [Box(0, 0, 32, 32)], seed=1))
    assert not any("longer than this model reads" in n for n in pipe.notices(request))  # each kite can be dealt


def test_an_unknown_noun_is_read_as_one_the_planner_knows_and_mapped_back():
    text = "a yellow banana, an avocado and a red star pointing left on a white canvas."
    unknown = [(text.index(w), text.index(w) + len(w)) for w in ("banana", "avocado", "pointing", "left", "canvas")]
    reading, origin = stand_in(text, unknown)
    assert reading == "a yellow cat, an owl and a red star pointing left on a white canvas."
    assert origin[reading.index("cat")] == origin[reading.index("cat") + 2] == unknown[0]
    assert origin[reading.index("owl")] == unknown[1]
    assert all(text[origin[k][0]] == reading[k] for k in range(len(reading)) if reading[k] not in "catowl")
    # not where no noun goes, nor a colour name the vocabulary lacks
    shiny = "a shiny red car and a beige star on white."
    spans = [(shiny.index("shiny"), shiny.index("shiny") + 5), (shiny.index("beige"), shiny.index("beige") + 5)]
    assert stand_in(shiny, spans)[0] == shiny
    image = "Create an image of a red star."
    assert stand_in(image, [(image.index("image"), image.index("image") + 5)])[0] == image  # what it is of
    party = "Something cheerful for a party."
    assert stand_in(party, [(party.index("party"), party.index("party") + 5)])[0] == party  # what it is for
    # after adjectives it never saw too, but not in an opening that says what the design is
    cute = "A cute card: a cute fluffy dragon on white."
    words = [(m.start(), m.end()) for m in re.finditer(r"cute|card|fluffy|dragon", cute)]
    assert stand_in(cute, words)[0] == "A cute card: a cute fluffy cat on white."
    # the planner's cut of the stand-in reading comes back in the prompt's own characters
    planner = Pipeline.from_preset("tiny", seed=0).model.planner
    read, _, spans, background, objects = planner._cut("a yellow banana on white")
    assert read == "a yellow banana on white." and all(0 <= a <= b <= len(read) for a, b in spans)
    assert all(read[a:b].strip() == read[a:b] and read[a:b] for a, b in background + objects)


def test_parts_said_with_an_object_join_it_when_there_are_too_few_boxes_for_them():
    from layerstudio.engine.planner import join_parts, tidy_cut

    text = "a house with a red roof and a chimney, a tree with a glow and a dog."
    objects = [(text.index(p), text.index(p) + len(p))
               for p in ("a house", "a red roof", "a chimney", "a tree with a glow", "a dog")]

    def cut(boxes):
        return [text[a:b] for a, b in join_parts(text, objects, boxes)]

    assert cut(5) == ["a house", "a red roof", "a chimney", "a tree with a glow", "a dog"]
    # as many parts as leave no box empty, the first first (with 4 boxes the chimney had none, or the dog)
    assert cut(4) == ["a house with a red roof", "a chimney", "a tree with a glow", "a dog"]
    joined = ["a house with a red roof and a chimney", "a tree with a glow", "a dog"]
    assert cut(3) == cut(2) == cut(1) == joined


def test_shapes_and_icons_left_out_of_every_phrase_between_joining_words_are_objects():
    from layerstudio.engine.planner import tidy_cut

    text = "a music note and two blue headphones on purple."
    note, purple = (0, 12), (text.index("purple"), text.index("purple") + 6)
    assert tidy_cut(text, [purple], [note]) == ([purple], [note, (17, 36)])
    text = "a ghost and a cat on orange for halloween."  # what it is for names no object
    orange = (text.index("orange"), text.index("orange") + 6)
    assert tidy_cut(text, [orange], [(0, 7), (12, 17), (text.index("halloween"), len(text) - 1)]) == \
        ([orange], [(0, 7), (12, 17)])
    text = "a cat and a dog watch the moon."  # a word of the sentence, not an object
    assert tidy_cut(text, [], [(0, 5), (10, 15), (22, 30)]) == ([], [(0, 5), (10, 15), (22, 30)])
    # the last object running on into a place: the place is the background
    text = "a house with a red roof and a chimney on green grass"
    background, objects = tidy_cut(text, [], [(0, 7), (13, 23), (28, len(text))])
    assert [text[a:b] for a, b in background] == ["green grass"] and text[objects[-1][0]:objects[-1][1]] == "a chimney"


def test_what_a_design_is_for_or_how_its_colours_vary_names_no_object_and_what_it_shows_does():
    from layerstudio.engine.planner import tidy_cut

    def cut(text, background, objects):
        spans = lambda phrases: [(text.index(p), text.index(p) + len(p)) for p in phrases]  # noqa: E731
        bg, objs = tidy_cut(text, spans(background), spans(objects))
        return [text[a:b] for a, b in bg], [text[a:b] for a, b in objs]

    assert cut("four hearts in different colours on white.", ["white"], ["four hearts", "different colours"]) == \
        (["white"], ["four hearts"])
    assert cut("a sticker of a happy avocado.", [], ["a sticker", "a happy avocado"]) == ([], ["a happy avocado"])
    assert cut("a logo for my dentist office, a white tooth on blue.", ["blue"],
               ["a logo for my dentist office", "a white tooth"]) == (["blue"], ["a white tooth"])
    assert cut("a Christmas card with a snowman on red.", ["red"], ["a Christmas card with a snowman"]) == \
        (["red"], ["a snowman"])
    # whose the design is, before what it shows: no object (a shop icon had taken the cup's box)
    assert cut("a coffee shop logo with a brown cup and the word 'BREW'.", ["a coffee shop logo"],
               ["a brown cup", "the word 'BREW'"]) == ([], ["a brown cup", "the word 'BREW'"])
    assert cut("a t-shirt print with 'I NY' in black and a red apple on white.", ["white"],
               ["a t-shirt", "'I NY' in black", "a red apple"]) == (["white"], ["'I NY' in black", "a red apple"])
    assert cut("a green leaf logo for a brand.", [], ["a green leaf logo"]) == ([], ["a green leaf logo"])
    # a known thing listed after a comma without an article is an object of its own
    assert cut("a black microphone, headphones and a star on white.", ["white"],
               ["a black microphone, headphones", "a star"]) == (["white"], ["a black microphone", "headphones", "a star"])
    assert cut("a red star, glowing, on navy.", ["navy"], ["a red star, glowing"]) == (["navy"], ["a red star, glowing"])
    # a pattern's colours said after a thing's comma are the pattern's ('... and red stripes' had taken black)
    assert cut("a shopping bag and a price tag, white and red stripes background.", ["red stripes background"],
               ["a shopping bag", "a price tag, white"]) == (["white and red stripes background"],
                                                              ["a shopping bag", "a price tag"])
    assert cut("a heart, rose gold and a star on white.", ["white"], ["a heart, rose gold", "a star"]) == \
        (["white"], ["a heart, rose gold", "a star"])
    assert cut("'Hi Mia' in gold, three balloons and a cake on pink.", ["pink"],
               ["'Hi Mia' in gold, three balloons", "a cake"]) == (["pink"], ["'Hi Mia' in gold", "three balloons", "a cake"])
    # known things said with 'with', lettering with 'saying': objects of their own (join_parts joins them for few
    # boxes); effects stay the object's
    assert cut("'Happy New Year' in gold with fireworks on navy.", ["navy"], ["'Happy New Year' in gold with fireworks"]) \
        == (["navy"], ["'Happy New Year' in gold", "fireworks"])
    assert cut("a ghost saying 'BOO!' on black.", ["black"], ["a ghost saying 'BOO!'"]) == (["black"], ["a ghost", "'BOO!'"])
    assert cut("a red star with a drop shadow on white.", ["white"], ["a red star with a drop shadow"])[1] == \
        ["a red star with a drop shadow"]
    # the background said late; the colours first taken for it go back to the object they followed
    assert cut("leaves in orange and red, a mug, all on a soft beige background.", ["red"],
               ["leaves in orange", "a mug", "a soft beige background"]) == \
        (["a soft beige background"], ["leaves in orange and red", "a mug"])
    assert cut("horizontal stripes in red and white, a blue star.", ["horizontal stripes"], ["red and white", "a blue star"]) \
        == (["horizontal stripes in red and white"], ["a blue star"])
    assert cut("on the beach: a palm tree.", [], ["a palm tree"]) == (["the beach"], ["a palm tree"])
    # a background said first, and a thing set against one
    assert cut("blue background, white snowflake.", [], ["white snowflake"]) == (["blue background"], ["white snowflake"])
    assert cut("background color: teal, a white anchor.", [], ["a white anchor"]) == (["teal"], ["a white anchor"])
    assert cut("sunflower against a sky blue backdrop.", [], ["a sky blue backdrop"]) == \
        (["a sky blue backdrop"], ["sunflower"])
    # a background's colours listed before it are all its ('red and' was left out: white stripes)
    assert cut("red and white striped background with a blue star.", ["white striped background"], ["a blue star"]) \
        == (["red and white striped background"], ["a blue star"])
    assert cut("a red star and white stripes.", ["white stripes"], ["a red star"]) == (["white stripes"], ["a red star"])
    assert cut("a cat and a dog at night.", [], ["a cat", "a dog", "night"]) == (["night"], ["a cat", "a dog"])
    # a place named first as if a thing is the background; the time of day before one is its
    assert cut("Misty forest with an owl.", [], ["Misty forest", "an owl"]) == (["Misty forest"], ["an owl"])
    assert cut("Night sky with a full moon.", ["sky"], ["a full moon"]) == (["Night sky"], ["a full moon"])
    assert cut("movie night with popcorn.", [], ["movie night", "popcorn"])[0] == []
    # ... also where a thing was first taken for the background (the planner read 'a christmas tree' as it)
    assert cut("A snowman next to a christmas tree on a snowy night.", ["a christmas tree"],
               ["A snowman", "a snowy night"]) == (["a snowy night"], ["A snowman", "a christmas tree"])
    # a thing named before the design noun is what the design shows ('a leaf logo for a brand' is a leaf)
    assert cut("a green leaf logo for an eco brand.", [], ["a green leaf logo", "an eco brand"]) == \
        ([], ["a green leaf logo"])
    assert cut("pizza logo for 'Tony's Pizzeria'.", [], ["'Tony's Pizzeria'"]) == ([], ["pizza logo", "'Tony's Pizzeria'"])
    assert cut("'Welcome' banner with a star.", [], ["'Welcome' banner", "a star"])[1] == ["'Welcome'", "a star"]
    # known names alone run together are a list; two without their own articles are one thing
    assert cut("cat dog bird.", [], ["cat dog bird"]) == ([], ["cat", "dog", "bird"])
    assert cut("a cat a dog.", [], ["a cat a dog"]) == ([], ["a cat", "a dog"])
    assert cut("a tree house.", [], ["a tree house"]) == ([], ["a tree house"])
    # what is not to be drawn is no piece
    assert cut("a cat and a dog, no text.", [], ["a cat", "a dog", "text"]) == ([], ["a cat", "a dog"])
    assert cut("a blue circle without a shadow.", [], ["a blue circle", "a shadow"]) == ([], ["a blue circle"])
    assert cut("no words just a rainbow.", [], ["no words just", "a rainbow"]) == ([], ["a rainbow"])
    assert cut("minimal tree no leaves.", [], ["minimal tree no leaves"]) == ([], ["minimal tree"])
    assert cut("a cat but not black.", ["black"], ["a cat but not"]) == ([], ["a cat"])
    assert cut("no-bake cheesecake on a plate.", ["a plate"], ["no-bake cheesecake"])[1] == ["no-bake cheesecake"]
    assert cut("a field with no trees.", [], ["a field with no trees"]) == ([], ["a field"])
    # how much of something names no object ('lots' took the biggest box)
    assert cut("a card with lots of lovely details: a red circle on blue.", ["blue"],
               ["lots", "a red circle"]) == (["blue"], ["a red circle"])
    # a kid's drawing, an app icon name the design; what a design is for may still show a thing
    assert cut("app icon with a blue rocket on a gradient.", ["a gradient"], ["app icon", "a blue rocket"]) == \
        (["a gradient"], ["a blue rocket"])
    assert cut("kids drawing of a house, a sun.", [], ["drawing", "a house", "a sun"]) == ([], ["a house", "a sun"])
    assert cut("logo for a weather app with a sun and a cloud.", [],
               ["logo", "a weather app with a sun", "a cloud"])[1] == ["a weather app with a sun", "a cloud"]


def test_each_objects_glyph_is_weighed_against_the_boxes_it_could_fill():
    from layerstudio.engine.planner import fit_evidence

    wide, square = Box(0, 0, 224, 48), Box(0, 0, 96, 96)
    fit = fit_evidence([wide, square], ["the words 'Trick or Treat'", "a pumpkin", "a zorblat"])
    assert fit[0, 0] == 0.0 and fit[1, 0] < -0.3  # long lettering: the wide box (in the square one it wraps)
    assert fit[1, 1] == 0.0 and fit[0, 1] < -0.5  # a pumpkin: the square one
    assert (fit[:, 2] == 0.0).all()  # nothing to draw it from: no preference
    # lettering too low to read in a box weighs heavily against it (9 px letters in a 48 px square, 27 px in a strip)
    fit = fit_evidence([Box(0, 0, 48, 48), Box(0, 0, 224, 48)], ["'Merry Christmas' in red", "a snowflake"])
    assert fit[1, 0] == 0.0 and fit[0, 0] < -2.0 and fit[0, 1] == 0.0


def test_an_object_said_big_or_small_is_dealt_a_box_that_size():
    from layerstudio.engine.planner import size_evidence

    big, small, middling = Box(0, 0, 192, 192), Box(200, 200, 240, 240), Box(0, 200, 96, 248)
    said = size_evidence([big, small], ["a big tree", "a tiny star", "a star", "the word 'BIG'"])
    assert said[0, 0] > 0 > said[1, 0] and said[0, 1] < 0 < said[1, 1]
    assert (said[:, 2:] == 0).all()  # said neither; a quoted size is lettering
    prompt = "a tiny gold star and a big green christmas tree on white"
    planner = oracle_planner(prompt, ["white", "a tiny gold star", "a big green christmas tree"])
    for boxes in ([big, small], [small, big], [small, middling, big]):
        for seed in range(10):
            dealt = planner.deal(prompt, 256, 256, boxes, list(range(len(boxes))), [], seed)
            assert dealt[boxes.index(big)] == "a big green christmas tree"
            assert dealt[boxes.index(small)] == "a tiny gold star"


def test_a_hint_asking_only_for_another_colour_recolours_the_layers_own_object():
    from layerstudio.engine.colours import colour_only, recoloured

    assert colour_only("green") and colour_only("make it dark blue instead") and not colour_only("a green sun")
    assert not colour_only("bigger") and not colour_only("'GREEN'")
    assert recoloured("a red and white flag", "blue") == "a blue flag"
    assert recoloured("an orange fish", "pink") == "a pink fish" and recoloured("a sun", "green") == "a green sun"
    from layerstudio.engine.request import drawn_from, layer_name

    # a background the prompt names nothing of, hinted 'make it pink', is drawn as 'pink': plain, so snapped flat
    assert drawn_from("", "make it pink") == "pink" and drawn_from("a sun", "make it green") == "a green sun"
    assert recoloured("the word 'SALE' in red", "make it navy") == "the word 'SALE' in navy"
    # one layer of a counted object shows one of them
    assert drawn_from("three balloons", "purple") == "purple balloon"
    assert drawn_from("two balloons, red and yellow", "make it navy") == "navy balloon"
    assert layer_name(drawn_from("some red stars", "gold")) == "Gold star"
    prompt = "a yellow sun on navy"
    pipe = Pipeline.from_preset("tiny", seed=0)
    pipe.model.planner = oracle_planner(prompt, ["navy", "a yellow sun"])
    doc = pipe.generate(Layout(64, 64, prompt, [Box(0, 0, 32, 32)], seed=1), steps=1)
    assert doc.layers[1].name == "Yellow sun"
    request = JobRequest.regenerate(doc, 1, seed=2, hint="green")
    assert pipe._descriptions(request, pipe._phrases(request))[1] == "a green sun"
    again = pipe.regenerate(doc, 1, seed=2, hint="green", steps=1)
    assert again.layers[1].name == "Green sun" and again.layers[1].provenance.phrase == "a yellow sun"
    other = pipe.regenerate(again, 1, seed=3, hint="a purple owl", steps=1)  # another thing: the hint alone
    assert other.layers[1].name == "Purple owl"
    # as the app does it: the hint typed is put on the layer first, then the layer regenerated with it
    other.layers[1].hint = "a red fox"
    assert pipe.regenerate(other, 1, seed=4, steps=1).layers[1].name == "Red fox"
    doc.layers[1].hint = "a blue owl"
    assert pipe.regenerate(doc, 1, seed=4, steps=1).layers[1].name == "Blue owl"
    # the hint stays on the layer: a new Generate deals the layer an object again and the hint recolours it
    hinted = pipe.regenerate(doc, 1, seed=2, hint="green", steps=1)
    hinted.layers[1].hint = "green"
    request = JobRequest.generate(hinted, 5)
    assert pipe._descriptions(request, pipe._phrases(request))[1] == "a green sun"
    regenerated = pipe.run(replace(request, steps=1))
    assert regenerated.apply_to(hinted).layers[1].name == "Green sun"
    assert not [n for n in regenerated.notices if "got no box" in n]


def test_a_patterns_colours_and_kind_said_around_it_are_the_backgrounds():
    from layerstudio.engine.planner import tidy_cut

    def cut(text, background, objects):
        spans = lambda phrases: [(text.index(p), text.index(p) + len(p)) for p in phrases]  # noqa: E731
        bg, objs = tidy_cut(text, spans(background), spans(objects))
        return [text[a:b] for a, b in bg], [text[a:b] for a, b in objs]

    assert cut("dotted background in green.", ["dotted background"], []) == (["dotted background in green"], [])
    assert cut("vertical stripes of navy and white with an anchor.", ["vertical stripes of navy"], ["an anchor"]) == \
        (["vertical stripes of navy and white"], ["an anchor"])
    assert cut("stripes of navy and white.", ["navy and white"], []) == (["stripes of navy and white"], [])
    assert cut("diagonal blue and yellow stripes.", ["blue and yellow stripes"], []) == \
        (["diagonal blue and yellow stripes"], [])
    assert cut("a radial gradient from yellow to red.", ["a radial gradient from yellow"], []) == \
        (["a radial gradient from yellow to red"], [])
    assert cut("checkerboard red and black with a white star.", ["black"], ["checkerboard red", "a white star"]) == \
        (["checkerboard red and black"], ["a white star"])
    assert cut("a yellow and grey chevron pattern.", [], ["a yellow and grey chevron pattern"]) == \
        (["a yellow and grey chevron pattern"], [])
    # a thing named by a pattern's word stays one ('a red dot', 'a red chevron')
    assert cut("a red dot on white.", ["white"], ["a red dot"]) == (["white"], ["a red dot"])
    assert cut("a red chevron on white.", ["white"], ["a red chevron"]) == (["white"], ["a red chevron"])
    # a plain background takes no colour said beside it, nor a pattern things wear
    assert cut("a red star on a blue background.", ["a blue background"], ["a red star"]) == \
        (["a blue background"], ["a red star"])
    assert cut("a zebra with black and white stripes on green.", ["green"], ["a zebra with black and white stripes"]) \
        == (["green"], ["a zebra with black and white stripes"])


def test_an_underwater_scene_is_a_place():
    from layerstudio.engine.planner import tidy_cut

    text = "underwater scene with a fish."
    background, objects = tidy_cut(text, [], [(0, 16), (22, 28)])
    assert [text[a:b] for a, b in background] == ["underwater scene"] and [text[a:b] for a, b in objects] == ["a fish"]


def test_lettering_said_with_more_lettering_is_two_pieces():
    from layerstudio.engine.planner import tidy_cut

    text = "big red 'SALE' text with '50% off'."
    background, objects = tidy_cut(text, [], [(0, len(text) - 1)])
    assert background == [] and [text[a:b] for a, b in objects] == ["big red 'SALE' text", "'50% off'"]
    text = "a red star with a glow."  # an effect said with 'with' stays the thing's
    assert [text[a:b] for a, b in tidy_cut(text, [], [(0, len(text) - 1)])[1]] == ["a red star with a glow"]


def test_a_name_said_as_whose_is_no_background_and_a_thing_after_it_is_whole():
    from layerstudio.engine.planner import tidy_cut

    text = "Valentine's day card with a big heart."
    background, objects = tidy_cut(text, [(0, 9)], [(26, 37)])
    assert background == [] and [text[a:b] for a, b in objects] == ["a big heart"]
    text = "a cat on grandma's blue sofa."
    background, objects = tidy_cut(text, [(9, 16)], [(0, 5), (17, 28)])
    assert background == [] and [text[a:b] for a, b in objects] == ["a cat", "grandma's blue sofa"]


def test_an_effect_said_of_every_object_is_read_as_no_phrase():
    """'..., both with drop shadows' and 'Add a drop shadow to everything' were cut as objects of their own;
    the effect is drawn on every object instead (effects.effect_for_all)."""
    from layerstudio.engine.effects import effect_for_all

    class EveryWordTagged(nn.Module):  # a tagger that would put every word it reads into a phrase
        def forward(self, features):
            tags = torch.full((features.shape[0],), OBJECT_INSIDE)
            tags[0] = OBJECT_START
            return F.one_hot(tags, 5).float() * 10

    prompts = {"a red star and a blue moon on white, both with drop shadows": "with a drop shadow",
               "a red star and a blue moon on white. Add a drop shadow to everything": "with a drop shadow",
               "a star and a moon on navy; give them all a soft glow": "with a soft glow",
               "a red star and a blue moon on pink with glows": "with a soft glow",
               "a red star and a blue moon on white. Add a glow to each of the shapes.": "with a soft glow",
               "a red star and a blue moon on white. Both have drop shadows.": "with a drop shadow",
               "a red star and a blue moon on black, each one glowing softly": "with a soft glow",
               "a red star and a blue moon on white, each with its own soft shadow": "with a soft shadow",
               "a red star and a blue moon on white with a drop shadow under each": "with a drop shadow"}
    planner = Planner(text_config(list(prompts)))
    planner.tag = EveryWordTagged()
    for prompt, effect in prompts.items():
        background, objects = planner.phrases(prompt)
        assert objects and not any(re.search(r"shadow|glow|everything|both|each|shapes", o) for o in objects), \
            (prompt, objects)
        assert effect_for_all(prompt, objects) == effect
    # lettering is drawn as written, and an object's own effect stays its own
    assert effect_for_all("a red star and the words 'both with glows' on white",
                          ["a red star", "the words 'both with glows'"]) is None
    assert effect_for_all("a red star with glows and a blue moon on white", ["a red star with glows", "a blue moon"]) \
        is None


def test_a_palette_the_prompt_states_is_no_object():
    from layerstudio.engine.planner import palette_said

    def said(text):
        spans, colours = palette_said(text)
        return [text[a:b] for a, b in spans], colours

    logo = "Logo for a bakery called 'Sweet Crumbs' with a cupcake and a rolling pin, brown and cream colours"
    assert said(logo) == ([", brown and cream colours"], ["brown", "cream"])
    assert said("A star and a moon, colour scheme: teal and gold.") == ([", colour scheme: teal and gold"],
                                                                       ["teal", "gold"])
    assert said("A poster in red and white colours") == (["in red and white colours"], ["red", "white"])
    # the objects' colours said on their own before the background's: "..., red on yellow" ('red' was lost)
    assert said("Big bold 'SALE' and '50% OFF' underneath, red on yellow") == ([", red"], ["red"])
    assert said("Red on yellow: a star and a moon") == (["Red"], ["red"])
    assert said("a red star, a blue moon on white") == ([], [])
    # a thing's own colours are no palette, nor are colours said without a palette word
    for text in ("A cat in pink and white tones", "a red star and a blue moon on white", "stripes in red and white",
                 "A black and white cow", "four hearts in different colours"):
        assert said(text) == ([], []), text
    # the planner reads the prompt without it: read as an object, 'cream colours' took a box and the shop's name
    # lost its one (the tags stand in for what the planner tags in the prompt it reads)
    from layerstudio.engine.planner import _blanked, as_sentence

    read = _blanked(as_sentence(logo), (0, len(as_sentence(logo))), palette_said(as_sentence(logo))[0])
    planner = oracle_planner(read, ["", "bakery called 'Sweet Crumbs'", "a cupcake", "a rolling pin"])
    assert planner.phrases(logo) == ("", ["bakery called 'Sweet Crumbs'", "a cupcake", "a rolling pin"])


def test_a_stated_palette_colours_the_background_and_the_objects_that_name_none():
    from layerstudio.engine.pipeline import UNNAMED_BACKGROUND
    from layerstudio.engine.planner import _blanked, as_sentence, palette_said

    pipe = Pipeline.from_preset("tiny", seed=0)
    prompt = "a cupcake and the word 'YUM', brown and cream colours"
    read = as_sentence(prompt)
    pipe.model.planner = oracle_planner(_blanked(read, (0, len(read)), palette_said(read)[0]),
                                        ["", "a cupcake", "the word 'YUM'"])
    request = JobRequest.from_layout(Layout(128, 128, prompt, [Box(0, 0, 64, 64), Box(64, 64, 128, 128)], seed=1))
    described = pipe._descriptions(request, pipe._phrases(request))
    assert described[0] == "a plain cream background"  # the lightest, not plain white with a notice
    assert sorted(pipe._as_drawn(request, described)[1:]) == ["a brown cupcake", "the word 'YUM' in brown"]
    # a pale colour alone is the background's ('calm lavender tones'); a strong one alone the objects'
    for prompt, background in (("a cupcake and the word 'YUM', calm lavender tones", "a plain lavender background"),
                               ("a cupcake and the word 'YUM', red colours", UNNAMED_BACKGROUND)):
        read = as_sentence(prompt)
        pipe.model.planner = oracle_planner(_blanked(read, (0, len(read)), palette_said(read)[0]),
                                            ["", "a cupcake", "the word 'YUM'"])
        request = JobRequest.from_layout(Layout(128, 128, prompt, [Box(0, 0, 64, 64), Box(64, 64, 128, 128)], seed=1))
        assert pipe._descriptions(request, pipe._phrases(request))[0] == background, prompt


def test_several_things_listed_with_their_colours_take_one_each():
    from layerstudio.engine.usual_colours import in_one_colour

    assert [in_one_colour("three balloons, red, yellow and blue", k) for k in range(4)] == [
        "three balloons, red", "three balloons, yellow", "three balloons, blue", "three balloons, red"]
    assert in_one_colour("a black and white cow") == "a black cow"
    pipe = Pipeline.from_preset("tiny", seed=0)
    prompt = "three balloons, red, yellow and blue, on white"
    pipe.model.planner = oracle_planner(prompt, ["white", "three balloons, red, yellow and blue"])
    boxes = [Box(0, 0, 64, 64), Box(64, 0, 128, 64), Box(0, 64, 64, 128)]
    request = JobRequest.from_layout(Layout(128, 128, prompt, boxes, seed=1))
    drawn = pipe._as_drawn(request, pipe._descriptions(request, pipe._phrases(request)))
    assert drawn[1:] == ["three balloons, red", "three balloons, yellow", "three balloons, blue"]  # all were red
    assert not any("is drawn in" in n for n in pipe.run(replace(request, steps=1)).notices)
