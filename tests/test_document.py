import json
import re

import numpy as np
import pytest

from layerstudio.document import Box, Document, Layer, Layout, LayoutError


def test_boxes_snap_outward_to_the_grid():
    assert Box(5, 17, 40, 33).snapped() == Box(0, 16, 48, 48)
    assert Box(-5, -20, 16, 32).snapped() == Box(-16, -32, 16, 32)
    assert Box(16, 16, 32, 32).snapped() == Box(16, 16, 32, 32)


@pytest.mark.parametrize("boxes, message", [
    ([[10, 10, 10, 50]], "box 1 (10, 10, 10, 50) has zero or negative area"),
    ([[0, 0, 32, 32], [40, 60, 20, 80]], "box 2 (40, 60, 20, 80) has zero or negative area"),
    ([[600, 0, 700, 64]], "box 1 (600, 0, 700, 64) lies entirely outside the 512 x 512 canvas"),
    ([[-100, -100, -10, -10]], "lies entirely outside"),
    ([[0, 0, 99999999999, 50]], "is 99999999999 x 50 px: a layer's side is at most 30000 px"),
    ([[0, 0, 16, 16]] * 51, "51 foreground boxes; at most 50 are allowed"),
])
def test_layout_validation_names_box_and_problem(boxes, message):
    with pytest.raises(LayoutError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Layout(512, 512, "p", boxes).validate()


@pytest.mark.parametrize("size, message", [
    ((500, 512), "canvas width 500 must be a positive multiple of 16"),
    ((512, 4112), "canvas height 4112 must be a positive multiple of 16 and at most 4096"),
    ((0, 512), "canvas width 0"),
])
def test_canvas_validation(size, message):
    with pytest.raises(LayoutError, match=message):
        Layout(*size, "p", []).validate()


def test_partly_outside_boxes_are_valid_and_keep_overflow():
    layout = Layout(256, 256, "p", [[-40, 200, 100, 300]]).validate()
    doc = Document.from_layout(layout)
    assert doc.layers[1].box == Box(-48, 192, 112, 304)
    assert doc.layers[1].pixels.shape == (112, 160, 4)


def test_fifty_boxes_are_allowed():
    Layout(512, 512, "p", [[0, 0, 16, 16]] * 50).validate()


def test_layout_json_round_trip(tmp_path):
    layout = Layout(320, 256, "a red star", [[0, 0, 64, 64], [10, 20, 100, 90]], seed=7)
    path = tmp_path / "layout.json"
    layout.save(path)
    data = json.loads(path.read_text())
    assert data == {"canvas": [320, 256], "prompt": "a red star",
                    "boxes": [[0, 0, 64, 64], [10, 20, 100, 90]], "seed": 7}
    assert Layout.load(path) == layout


def test_layout_file_errors_are_clear(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(LayoutError, match="not valid JSON"):
        Layout.load(bad)
    with pytest.raises(LayoutError, match="cannot read layout file"):
        Layout.load(tmp_path / "missing.json")
    with pytest.raises(LayoutError, match="canvas"):
        Layout.from_json({"prompt": "x"})
    with pytest.raises(LayoutError, match="seed 9223372036854775807: must be between 0 and 2147483647"):
        Layout.from_json({"canvas": [64, 64], "seed": 2**63 - 1})


def test_a_layout_file_with_a_bom_or_in_utf16_loads_and_one_not_in_utf8_is_a_clear_error(tmp_path):
    layout = Layout(64, 48, "un café crème", [Box(0, 0, 32, 32)], seed=3)
    text = json.dumps(layout.to_json(), ensure_ascii=False)
    for name, data in (("bom.json", b"\xef\xbb\xbf" + text.encode("utf-8")), ("utf16.json", text.encode("utf-16"))):
        (tmp_path / name).write_bytes(data)
        assert Layout.load(tmp_path / name) == layout
    latin = tmp_path / "latin.json"
    latin.write_bytes(text.encode("latin-1"))
    with pytest.raises(LayoutError, match=rf"layout file {re.escape(str(latin))} is not UTF-8 text \(byte 0xe9 at"):
        Layout.load(latin)
    deep = tmp_path / "deep.json"
    deep.write_bytes(b"[" * 100_000)
    with pytest.raises(LayoutError, match="nested too deep"):
        Layout.load(deep)


def _solid(box, rgba):
    return np.broadcast_to(np.array(rgba, np.uint8), (box.height, box.width, 4)).copy()


def test_compose_matches_hand_computed_blend():
    canvas = Box(0, 0, 32, 32)
    bg = Layer(canvas, _solid(canvas, (0, 0, 255, 255)), name="bg")
    a_box = Box(0, 0, 16, 16)
    a = Layer(a_box, _solid(a_box, (255, 0, 0, 128)), name="a", opacity=0.5)
    b_box = Box(8, 8, 24, 24)
    b = Layer(b_box, _solid(b_box, (0, 255, 0, 64)), name="b")
    doc = Document(32, 32, "p", [bg, a, b])
    out = doc.compose().astype(np.float64)

    # pixel (4, 4): only a over bg. a's alpha 128/255 * 0.5
    sa = 128 / 255 * 0.5
    expected = np.array([255 * sa + 0 * (1 - sa), 0, 255 * (1 - sa), 255])
    assert np.allclose(out[4, 4], expected, atol=1)
    # pixel (12, 12): a then b over bg
    r, g, bl = 255 * sa, 0.0, 255 * (1 - sa)
    sb = 64 / 255
    expected = np.array([r * (1 - sb), 255 * sb + g * (1 - sb), bl * (1 - sb), 255])
    assert np.allclose(out[12, 12], expected, atol=1)
    # pixel (30, 30): bg only
    assert tuple(out[30, 30]) == (0, 0, 255, 255)


def test_compose_partial_alpha_without_background():
    box = Box(0, 0, 16, 16)
    doc = Document(16, 16, "p", [Layer(box, _solid(box, (200, 100, 0, 100))),
                                 Layer(box, _solid(box, (0, 0, 200, 100)))])
    out = doc.compose().astype(np.float64)[0, 0]
    a1 = a2 = 100 / 255
    alpha = a2 + a1 * (1 - a2)
    rgb = (np.array([0, 0, 200]) * a2 + np.array([200, 100, 0]) * a1 * (1 - a2)) / alpha
    assert np.allclose(out, [*rgb, alpha * 255], atol=1)


def test_hidden_layers_and_overflow_are_left_out_of_compose():
    canvas = Box(0, 0, 32, 32)
    over = Box(-16, -16, 16, 16)
    doc = Document(32, 32, "p", [
        Layer(canvas, _solid(canvas, (10, 20, 30, 255))),
        Layer(over, _solid(over, (255, 255, 255, 255))),
        Layer(canvas, _solid(canvas, (255, 0, 0, 255)), visible=False),
    ])
    out = doc.compose()
    assert tuple(out[0, 0]) == (255, 255, 255, 255)
    assert tuple(out[20, 20]) == (10, 20, 30, 255)


def test_reorder_add_remove_replace():
    doc = Document.from_layout(Layout(64, 64, "p", [[0, 0, 16, 16], [16, 16, 48, 48], [0, 32, 32, 64]]))
    names = lambda: [l.name for l in doc.layers]
    assert names() == ["Background", "Layer 1", "Layer 2", "Layer 3"]
    doc.move_layer(3, 1)
    assert names() == ["Background", "Layer 3", "Layer 1", "Layer 2"]
    removed = doc.remove_layer(2)
    assert removed.name == "Layer 1" and names() == ["Background", "Layer 3", "Layer 2"]
    doc.add_layer(removed, 1)
    assert names() == ["Background", "Layer 1", "Layer 3", "Layer 2"]
    old = doc.replace_layer(2, Layer(Box(0, 0, 16, 16), name="New"))
    assert old.name == "Layer 3" and names()[2] == "New"
    with pytest.raises(IndexError):
        doc.move_layer(0, 9)
    with pytest.raises(LayoutError, match="lies entirely outside"):
        doc.add_layer(Layer(Box(100, 100, 116, 116), name="far"))


def test_layer_rejects_pixels_of_the_wrong_size():
    with pytest.raises(LayoutError, match="pixels are 8 x 8 but its box"):
        Layer(Box(0, 0, 16, 16), np.zeros((8, 8, 4), np.uint8), name="x")


def test_resizing_a_layer_resamples_its_variations():
    from layerstudio.document import Variation

    box = Box(0, 0, 32, 32)
    layer = Layer(box, _solid(box, (1, 2, 3, 255)), variations=[Variation(_solid(box, (9, 9, 9, 255)), seed=4)])
    bigger = layer.moved_to(Box(0, 0, 64, 48))
    assert bigger.pixels.shape == (48, 64, 4)
    assert bigger.variations[0].pixels.shape == (48, 64, 4) and bigger.variations[0].seed == 4
    assert layer.variations[0].pixels.shape == (32, 32, 4)  # the original is untouched
    moved = layer.moved_to(Box(16, 16, 48, 48))
    assert np.array_equal(moved.pixels, layer.pixels) and moved.variations[0].pixels.shape == (32, 32, 4)


def test_a_resize_undone_by_another_loses_nothing_and_resamples_smoothly():
    from layerstudio.document import Variation

    box = Box(0, 0, 64, 32)
    yy, xx = np.mgrid[0:32, 0:64]
    word = np.zeros((32, 64, 4), np.uint8)
    word[(xx // 4 + yy // 4) % 2 == 0] = (250, 250, 250, 255)  # fine detail, as lettering has; clear is black
    other = np.roll(word, 3, axis=1)
    layer = Layer(box, word.copy(), variations=[Variation(other.copy(), seed=4)])
    small = layer.moved_to(Box(0, 0, 32, 16))
    assert np.unique(small.pixels[..., 3]).size > 2  # smooth: edges between clear and opaque, not picked pixels
    assert (small.pixels[small.pixels[..., 3] > 0][:, :3] >= 230).all()  # premultiplied: no grey fringe
    back = small.moved_to(box).moved_to(Box(8, 8, 72, 40))  # grown back, then moved
    assert np.array_equal(back.pixels, word) and np.array_equal(back.variations[0].pixels, other)
    # changed since (regenerated, painted): the new pixels are the ones resized
    changed = small.with_pixels(np.full((16, 32, 4), 200, np.uint8))
    assert (changed.moved_to(box).pixels == 200).all()
