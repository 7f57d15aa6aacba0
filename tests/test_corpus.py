"""The procedural training corpus and the PSD-folder dataset."""
from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image

from layerstudio.document import GRID, Box
from layerstudio.errors import UserError
from layerstudio.training.corpus import CANVAS_SIZES, COLOURS, make_design
from layerstudio.training.psd_dataset import PsdFolderDataset, read_psd_design

SEEDS = range(24)
POSITIONAL = re.compile(
    r"\b(left|right|top|bottom|upper|lower|corner|centre|center|middle|above|below|box|boxes|layer\s*\d*)\b",
    re.IGNORECASE)


def _same(a, b) -> bool:
    if a.caption != b.caption or a.layer_captions != b.layer_captions or a.layer_colours != b.layer_colours:
        return False
    if len(a.document.layers) != len(b.document.layers):
        return False
    return all(la.box == lb.box and np.array_equal(la.pixels, lb.pixels)
               for la, lb in zip(a.document.layers, b.document.layers)) and np.array_equal(a.composite, b.composite)


def test_same_seed_same_design_and_different_seeds_differ():
    for seed in (0, 7, 12345):
        assert _same(make_design(seed), make_design(seed))
    # Other random draws in between must not change a design (no global random state).
    np.random.seed(1)
    first = make_design(3)
    np.random.random(100)
    make_design(4)
    assert _same(first, make_design(3))
    designs = [make_design(s) for s in range(6)]
    assert len({d.caption for d in designs}) == 6
    assert not any(np.array_equal(designs[0].composite, d.composite) for d in designs[1:] if
                   d.composite.shape == designs[0].composite.shape)


def test_layers_compose_to_composite_with_snapped_boxes_on_canvas():
    for seed in SEEDS:
        d = make_design(seed)
        doc = d.document
        assert (doc.width, doc.height) in CANVAS_SIZES
        assert doc.prompt == d.caption
        assert len(d.layer_captions) == len(d.layer_colours) == len(doc.layers)
        assert 2 <= len(doc.layers) <= 9
        bg = doc.layers[0]
        assert bg.box == Box(0, 0, doc.width, doc.height) and (bg.pixels[..., 3] == 255).all()
        for layer in doc.layers[1:]:
            assert layer.box == layer.box.snapped(GRID)
            assert layer.box.intersection(doc.canvas_box) is not None
            assert layer.pixels.shape == (layer.box.height, layer.box.width, 4)
            assert layer.pixels[..., 3].any(), f"seed {seed}: empty layer {layer.name}"
        assert np.array_equal(d.composite, doc.compose())
        # Independent composition in float: the layers really are the picture.
        canvas = np.zeros((doc.height, doc.width, 3))
        for layer in doc.layers:
            part = layer.box.intersection(doc.canvas_box)
            src = layer.pixels[part.y0 - layer.box.y0: part.y1 - layer.box.y0,
                               part.x0 - layer.box.x0: part.x1 - layer.box.x0].astype(np.float64) / 255
            view = canvas[part.y0:part.y1, part.x0:part.x1]
            view[:] = src[..., :3] * src[..., 3:] + view * (1 - src[..., 3:])
        assert np.abs(canvas * 255 - d.composite[..., :3].astype(np.float64)).max() <= 1.0


def test_boxes_hold_their_objects_sizes_and_overflow():
    fractions, aspects, off_canvas, partial_alpha = [], set(), 0, 0
    for seed in range(60):
        d = make_design(seed, canvas=(256, 256))
        area = 256 * 256
        for layer in d.document.layers[1:]:
            box, a = layer.box, layer.pixels[..., 3]
            fractions.append(box.area / area)
            aspects.add(round(box.width / box.height, 1))
            ys, xs = np.nonzero(a)
            # The object fills most of its box: ink reaches within about one grid cell of every side
            # (a few px more where a pointed tip fades out in anti-aliasing).
            slack = GRID + 3
            assert xs.min() <= slack and ys.min() <= slack, layer.name
            assert xs.max() >= box.width - 1 - slack and ys.max() >= box.height - 1 - slack, layer.name
            if box.intersection(d.document.canvas_box) != box:
                off_canvas += 1
            if ((a > 0) & (a < 200)).sum() > 0.1 * (a > 0).sum():
                partial_alpha += 1
    fractions = np.array(fractions)
    assert 0.005 < np.median(fractions) < 0.3 and fractions.max() <= 0.6
    assert len(aspects) >= 8
    assert off_canvas >= 5 and partial_alpha >= 10


def test_objects_without_effects_fill_their_box_centred():
    """A box says where its object is: the object fills it (aspect kept) and is centred, so the model need not
    guess an offset the box does not show."""
    checked = 0
    for seed in range(40):
        d = make_design(seed, canvas=(256, 256))
        for layer, caption in zip(d.document.layers[2:], d.layer_captions[2:]):
            if "shadow" in caption or "glow" in caption:
                continue
            ys, xs = np.nonzero(layer.pixels[..., 3])
            left, right = xs.min(), layer.box.width - 1 - xs.max()
            top, bottom = ys.min(), layer.box.height - 1 - ys.max()
            assert abs(left - right) <= 2 and abs(top - bottom) <= 2, (caption, left, right, top, bottom)
            assert min(max(left, right), max(top, bottom)) <= 1, (caption, left, right, top, bottom)
            checked += 1
    assert checked >= 60


def test_captions_name_things_never_places():
    names = set(COLOURS)
    for seed in range(200):
        d = make_design(seed)
        for text in [d.caption] + d.layer_captions:
            # which way an arrow points is the object's look, not its place
            text = re.sub(r"(pointing|facing)( to the)? (left|right)", "", text)
            assert not POSITIONAL.search(text), f"seed {seed}: {text!r}"
        for cap, rgb in zip(d.layer_captions[1:], d.layer_colours[1:]):
            (name,) = [n for n, c in COLOURS.items() if c == rgb]
            assert re.search(rf"\b{name}\b", cap), (cap, name)
            # Every object is named in the global prompt.
            core = cap.split(" with a ")[0]
            quoted = re.findall(r"'([^']+)'", core)
            key = quoted[0] if quoted else core.split()[-1]
            assert key in d.caption, (key, d.caption)
    assert all(isinstance(v, tuple) and len(v) == 3 for v in COLOURS.values()) and len(names) >= 10


def test_prompts_are_worded_several_ways():
    from layerstudio.training.corpus import STYLE_PHRASES

    designs = [make_design(seed, canvas=(64, 64), max_layers=2) for seed in range(120)]
    bare = [d for d in designs if d.layer_captions[0] in COLOURS]  # "... on white."
    styled = [d for d in designs if any(p in d.caption for p in STYLE_PHRASES)]
    assert bare and styled and len(styled) < len(designs) / 2
    for d in bare:
        assert re.search(rf"(^|[.] |\b(on|over|of) ){d.layer_captions[0]}\b", d.caption, re.IGNORECASE), d.caption


def test_dominant_colour_matches_prompted_colour():
    for seed in range(30):
        d = make_design(seed)
        for layer, rgb in zip(d.document.layers[1:], d.layer_colours[1:]):
            px, a = layer.pixels[..., :3].astype(np.float64), layer.pixels[..., 3]
            solid = a >= 250  # the object itself, not its shadow or glow
            if solid.sum() < 20:
                continue
            mean = px[solid].mean(axis=0)
            nearest = min(COLOURS.values(), key=lambda c: np.abs(np.array(c) - mean).sum())
            assert nearest == rgb, (layer.name, mean, rgb)


def test_stress_mode_gives_many_layers():
    counts = [len(make_design(s, stress=True).document.layers) - 1 for s in range(4)]
    assert all(9 <= c <= 50 for c in counts) and max(counts) > 20
    d = make_design(99, stress=True)
    assert np.array_equal(d.composite, d.document.compose())
    assert all(l.box == l.box.snapped() and l.box.intersection(d.document.canvas_box) for l in d.document.layers)


def test_canvas_and_layer_count_arguments():
    d = make_design(5, canvas=(192, 320), max_layers=1)
    assert (d.document.width, d.document.height) == (192, 320) and len(d.document.layers) == 2


# ---------------------------------------------------------------------------------------------- PSD folder

def _write_psd(path, size, layers, group=None):
    """RGBA PSD with ASCII layer names; `group` = (name, [layers]) is added on top as a layer group."""
    from psd_tools import PSDImage
    from psd_tools.api.layers import Group, PixelLayer

    psd = PSDImage.new("RGBA", size)
    for name, rgba, left, top in layers:
        PixelLayer.frompil(Image.fromarray(rgba, "RGBA"), psd, name, top, left)  # appends itself
    if group is not None:
        g = Group.new(psd, group[0])
        for name, rgba, left, top, *opts in group[1]:
            layer = PixelLayer.frompil(Image.fromarray(rgba, "RGBA"), g, name, top, left)
            for key, value in (opts[0] if opts else {}).items():
                setattr(layer, key, value)
    psd.save(path)


def _blob(w, h, rgb, alpha=255):
    a = np.zeros((h, w, 4), np.uint8)
    a[1:-1, 1:-1] = (*rgb, alpha)  # a transparent 1 px rim
    return a


def test_psd_folder_dataset_reads_layers_boxes_and_captions(tmp_path):
    bg = np.zeros((100, 120, 4), np.uint8)
    bg[...] = (10, 200, 30, 255)
    star = _blob(30, 20, (200, 10, 10))
    word = _blob(50, 18, (0, 0, 250), alpha=128)
    _write_psd(tmp_path / "a.psd", (120, 100),
               [("sky", bg, 0, 0), ("red star", star, 5, 7), ("word HI", word, 90, 40)])
    (tmp_path / "a.txt").write_text("A red star and the word 'HI' on green.\n", encoding="utf-8")
    _write_psd(tmp_path / "b.psd", (64, 48), [], group=("icons", [
        ("blue dot", _blob(10, 10, (0, 0, 255)), 20, 20),
        ("hidden", _blob(10, 10, (255, 0, 0)), 2, 2, {"visible": False}),
        ("half dot", _blob(8, 8, (0, 0, 0)), 40, 30, {"opacity": 128}),
    ]))
    (tmp_path / "broken.psd").write_bytes(b"8BPS not really a psd")

    with pytest.warns(UserWarning, match="broken.psd"):
        ds = PsdFolderDataset(tmp_path)
    assert len(ds) == 2 and [p.name for p, _ in ds.skipped] == ["broken.psd"]

    d = ds[0]
    doc = d.document
    assert (doc.width, doc.height) == (128, 96)  # 120 x 100 rounded to the grid
    assert d.caption == "A red star and the word 'HI' on green."
    assert d.layer_captions == ["sky", "red star", "word HI"]
    assert [l.box for l in doc.layers] == [Box(0, 0, 128, 96), Box(0, 0, 48, 32), Box(80, 32, 144, 64)]
    star_layer, word_layer = doc.layers[1], doc.layers[2]
    # Pixels sit at their PSD position inside the snapped box.
    assert np.array_equal(star_layer.pixels[7:27, 5:35], star)
    assert not star_layer.pixels[:7, :, 3].any() and not star_layer.pixels[:, 35:, 3].any()
    assert np.array_equal(word_layer.pixels[8:26, 10:60], word)
    assert d.layer_colours[1] == (200, 10, 10) and d.layer_colours[2] == (0, 0, 250)
    assert np.array_equal(d.composite, doc.compose())
    assert (doc.layers[0].pixels[:96, :120] == (10, 200, 30, 255)).all()

    d2 = ds[1]  # a group, no sidecar, no full-canvas layer: transparent background, caption from names
    assert (d2.document.width, d2.document.height) == (64, 48)
    assert d2.caption == "blue dot, half dot"
    assert d2.layer_captions == ["a transparent background", "blue dot", "half dot"]  # hidden layer left out
    assert not d2.document.layers[0].pixels.any()
    assert [l.box for l in d2.document.layers[1:]] == [Box(16, 16, 32, 32), Box(32, 16, 48, 48)]
    half = d2.document.layers[2].pixels
    assert set(np.unique(half[..., 3])) == {0, 128}  # layer opacity baked into alpha
    assert len(list(ds)) == 2


def test_psd_dataset_scales_large_documents_and_names_problems(tmp_path):
    big = tmp_path / "big.psd"
    _write_psd(big, (400, 200), [("orange bar", _blob(200, 100, (250, 120, 0)), 100, 50)])
    d = read_psd_design(big, max_side=200)
    assert (d.document.width, d.document.height) == (208, 96)  # 200 x 100 rounded to the grid
    box = d.document.layers[1].box
    assert box == box.snapped() and box.x0 == 48 and box.y0 == 16
    ys, xs = np.nonzero(d.document.layers[1].pixels[..., 3] > 128)
    assert 95 <= xs.max() - xs.min() + 1 <= 101 and 45 <= ys.max() - ys.min() + 1 <= 51
    with pytest.raises(UserError, match="does not exist"):
        PsdFolderDataset(tmp_path / "nope")
    (tmp_path / "bad.psd").write_bytes(b"garbage")
    with pytest.raises(UserError, match="not a readable PSD"):
        read_psd_design(tmp_path / "bad.psd")



def test_psds_that_cannot_be_trained_on_are_skipped_before_training_with_the_reason(tmp_path):
    from psd_tools import PSDImage

    from layerstudio.training.psd_dataset import check_folder

    PSDImage.new("RGB", (64, 48), color=(10, 10, 200)).save(tmp_path / "flat.psd")  # a flattened image: no layers
    dots = [(f"dot {i}", _blob(4, 4, (200, 0, 0)), i % 60, i // 60 * 8) for i in range(52)]
    _write_psd(tmp_path / "many.psd", (64, 64), dots)
    _write_psd(tmp_path / "ok.psd", (64, 48), [("red star", _blob(16, 16, (200, 0, 0)), 8, 8)])
    with pytest.warns(UserWarning):
        ds = PsdFolderDataset(tmp_path)
    reasons = dict((p.name, r) for p, r in ds.skipped)
    assert [p.name for p in ds.paths] == ["ok.psd"] and ds.sizes == [(64, 48)]
    assert "no visible layers" in reasons["flat.psd"] and "52 visible layers" in reasons["many.psd"]
    (tmp_path / "ok.psd").unlink()
    with pytest.raises(UserError, match="none of its 2 PSD files can be trained on"):
        check_folder(tmp_path)
    with pytest.raises(UserError, match="give the folder that holds"):
        check_folder(tmp_path / "flat.psd")
    with pytest.raises(UserError, match="no such folder"):
        check_folder(tmp_path / "elsewhere")


def test_a_caption_file_in_an_older_windows_encoding_is_read(tmp_path):
    _write_psd(tmp_path / "a.psd", (64, 48), [("cup", _blob(16, 16, (120, 60, 0)), 8, 8)])
    (tmp_path / "a.txt").write_bytes("a brown cup for the caf\xe9".encode("latin-1"))
    assert read_psd_design(tmp_path / "a.psd").caption == "a brown cup for the caf\xe9"


def test_corpus_designs_round_trip_through_psd_export(tmp_path):
    from layerstudio.io.psd import export_psd

    designs = [make_design(s) for s in (1, 2, 3)]
    for i, d in enumerate(designs):
        export_psd(d.document, tmp_path / f"d{i}.psd")
    back = list(PsdFolderDataset(tmp_path))
    assert len(back) == 3
    for d, r in zip(designs, back):
        assert [l.box for l in r.document.layers] == [l.box for l in d.document.layers]
        assert all(np.array_equal(a.pixels, b.pixels) for a, b in zip(d.document.layers, r.document.layers))
        assert r.layer_captions == d.layer_captions  # layer names carry the captions
        assert np.array_equal(r.composite, d.composite)


def test_psd_folder_caption_is_the_prompt_the_app_stored_unless_a_sidecar_says_otherwise(tmp_path):
    from layerstudio.document import Document, Layer
    from layerstudio.io.psd import export_psd

    bg = np.zeros((48, 64, 4), np.uint8)
    bg[...] = (250, 220, 0, 255)
    star = np.zeros((16, 16, 4), np.uint8)
    star[4:12, 4:12] = (200, 0, 0, 255)
    prompt = "A red star on a yellow background"
    doc = Document(64, 48, prompt, [Layer(Box(0, 0, 64, 48), bg, name="Background"),
                                    Layer(Box(16, 16, 32, 32), star, name="Layer 1")])
    export_psd(doc, tmp_path / "a.psd")
    export_psd(doc, tmp_path / "b.psd")
    (tmp_path / "b.txt").write_text("\ufeffthe sidecar's own words\n", encoding="utf-8")  # with Notepad's BOM
    export_psd(Document(64, 48, "", doc.layers), tmp_path / "c.psd")  # no prompt: the layer names

    # our resource holding what is not our JSON (here nested too deep for json) is ignored: the layer names
    from psd_tools.psd.image_resources import ImageResource

    from layerstudio.io.psd import RESOURCE_ID, build_psd
    odd = build_psd(doc)
    odd.image_resources[RESOURCE_ID] = ImageResource(key=RESOURCE_ID, name="x", data=b"[" * 100_000)
    with open(tmp_path / "d.psd", "wb") as f:
        odd._record.write(f)

    a, b, c, d = PsdFolderDataset(tmp_path)
    assert a.caption == prompt and a.document.prompt == prompt
    assert a.layer_captions == ["Background", "Layer 1"]  # the layers keep their own names
    assert b.caption == "the sidecar's own words"
    assert c.caption == d.caption == "Layer 1, Background"


def test_icon_paths_rasterise_with_nonzero_winding_and_arcs():
    from layerstudio.engine.silhouettes import _path_polylines, _rasterise, icon_table

    # Outer square clockwise; inner square counter-clockwise cuts a hole, clockwise does not (nonzero rule).
    hole = _rasterise(_path_polylines("M2,2H22V22H2Z M8,8V16H16V8Z"), 24, ss=4)
    filled = _rasterise(_path_polylines("M2,2H22V22H2Z M8,8H16V16H8Z"), 24, ss=4)
    assert hole[12, 12] == 0 and hole[4, 4] == 1 and filled[12, 12] == 1
    assert abs(hole.sum() - (400 - 64)) < 1 and abs(filled.sum() - 400) < 1
    # Two relative arcs make a circle of radius 10: area pi r^2.
    circle = _rasterise(_path_polylines("M2,12a10,10 0 1,0 20,0a10,10 0 1,0 -20,0z"), 24, ss=4)
    assert abs(circle.sum() - np.pi * 100) < 3
    assert len(icon_table()) >= 50  # the shipped clip-art resource is found
