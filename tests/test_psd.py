"""PSD export/import: round trip through our reader, psd-tools' API, Pillow and ImageMagick."""
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from layerstudio.document import Box, Document, Layer, Provenance
from layerstudio.errors import UserError
from layerstudio.io.psd import export_psd, import_psd, legacy_name

W, H = 128, 96
NAME = "Céline ☀"
IMAGEMAGICK = shutil.which("identify") and shutil.which("convert")


def ramp_pixels(h, w, green=180):
    pix = np.zeros((h, w, 4), np.uint8)
    pix[..., 0] = np.arange(w, dtype=np.uint8)[None, :] * 3
    pix[..., 1] = green
    pix[..., 2] = np.arange(h, dtype=np.uint8)[:, None] * 5
    pix[..., 3] = np.linspace(0, 255, w).round().astype(np.uint8)[None, :]  # alpha ramp 0..255
    return pix


def make_document():
    bg = np.zeros((H, W, 4), np.uint8)
    bg[..., 0] = np.arange(W, dtype=np.uint8)[None, :] * 2
    bg[..., 2] = 90
    bg[..., 3] = 255
    bg[:, 112:, 3] = 0  # a transparent strip, and partial alpha from the ramps above it
    prov = Provenance("tiny-abc", "a sunny poster", 7, 8)
    return Document(W, H, "a sunny poster", [
        Layer(Box(0, 0, W, H), bg, name="Background", seed=3, provenance=Provenance("tiny-abc", "a sunny poster", 3, 8)),
        Layer(Box(-16, -8, 48, 40), ramp_pixels(48, 64), name=NAME, opacity=0.5, seed=7, provenance=prov),
        Layer(Box(80, 48, 144, 112), ramp_pixels(64, 64, 20), name="hidden one", visible=False, locked=True,
              hint="make it red", seed=9),
        Layer(Box(32, 32, 64, 48), ramp_pixels(16, 32, 255), name="top"),
    ], model_id="tiny-abc")


@pytest.fixture
def exported(tmp_path):
    doc = make_document()
    path = tmp_path / "design.psd"
    export_psd(doc, path)
    return doc, path


def test_round_trip_keeps_every_layer_exactly(exported):
    doc, path = exported
    back, warnings = import_psd(path)
    assert warnings == []
    assert (back.width, back.height, back.prompt, back.model_id) == (W, H, doc.prompt, doc.model_id)
    assert len(back.layers) == len(doc.layers)
    for a, b in zip(doc.layers, back.layers):
        assert b.name == a.name
        assert b.box == a.box
        np.testing.assert_array_equal(b.pixels, a.pixels)
        assert b.visible == a.visible
        assert abs(b.opacity - a.opacity) <= 0.5 / 255
        assert (b.seed, b.hint, b.locked, b.provenance) == (a.seed, a.hint, a.locked, a.provenance)


def test_psd_tools_sees_rgba_rle_layers_names_offsets(exported):
    from psd_tools import PSDImage
    from psd_tools.constants import ColorMode, Compression

    doc, path = exported
    psd = PSDImage.open(path)
    assert psd.color_mode == ColorMode.RGB and psd.channels == 4  # RGBA: alpha stays alpha, no masks
    assert [l.name for l in psd] == [l.name for l in doc.layers]
    assert psd[1].offset == (-16, -8) and psd[1].size == (64, 48)
    assert [l.visible for l in psd] == [True, True, False, True]
    assert psd[1].opacity == 128
    # the lock reaches other editors: image and transparent pixels locked, the position free (as ours)
    locks = psd[2].locks
    assert locks is not None and locks.composite and locks.transparency and not locks.position
    assert all(l.locks is None or l.locks.value == 0 for i, l in enumerate(psd) if i != 2)
    assert not any(l.has_mask() for l in psd)
    assert psd._record.image_data.compression == Compression.RLE
    for layer in psd:
        assert all(c.compression == Compression.RLE for c in layer._channels)
    np.testing.assert_array_equal(np.asarray(psd[2].topil()), doc.layers[2].pixels)


def test_merged_image_has_real_alpha_in_pillow(exported):
    doc, path = exported
    expected = doc.compose()
    with Image.open(path) as im:
        assert im.mode == "RGBA"
        merged = np.asarray(im)
    np.testing.assert_array_equal(merged[..., 3], expected[..., 3])
    opaque = expected[..., 3] == 255
    assert opaque.any() and (expected[..., 3] == 0).any()  # the test document has both
    np.testing.assert_array_equal(merged[opaque], expected[opaque])
    # Transparent pixels are stored over white, Photoshop's convention for the merged image.
    assert (merged[expected[..., 3] == 0][:, :3] == 255).all()


def test_merged_image_dematted_by_psd_tools(exported):
    from psd_tools import PSDImage

    doc, path = exported
    expected = doc.compose()
    merged = np.asarray(PSDImage.open(path).topil())
    visible = expected[..., 3] > 0
    np.testing.assert_array_equal(merged[..., 3], expected[..., 3])
    assert np.abs(merged[visible][:, :3].astype(int) - expected[visible][:, :3]).max() <= 2


def test_unicode_name_legacy_fallback():
    assert legacy_name(NAME) == "Celine ?"
    assert legacy_name("plain") == "plain"


@pytest.mark.skipif(not IMAGEMAGICK, reason="ImageMagick not installed (CI installs it)")
def test_imagemagick_identify_lists_layers_with_offsets(exported):
    doc, path = exported
    out = subprocess.run(["identify", "-format", "%[label]|%g|%[compose]\n", str(path)],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(out) == 1 + len(doc.layers)  # merged image, then each layer
    assert out[0].split("|")[1] == f"{W}x{H}+0+0"
    rows = [line.split("|") for line in out[1:]]
    assert [r[0] for r in rows] == ["Background", "Celine ?", "hidden one", "top"]
    assert [r[1] for r in rows] == ["128x96+0+0", "64x48-16-8", "64x64+80+48", "32x16+32+32"]
    assert rows[2][2] == "None"  # ImageMagick marks a hidden layer by not composing it


@pytest.mark.skipif(not IMAGEMAGICK, reason="ImageMagick not installed (CI installs it)")
def test_imagemagick_convert_gives_exact_layer_pixels(exported, tmp_path):
    doc, path = exported

    def convert(index):
        out = tmp_path / f"frame{index}.png"
        subprocess.run(["convert", f"{path}[{index}]", f"PNG32:{out}"], check=True, capture_output=True)
        with Image.open(out) as im:
            return np.asarray(im.convert("RGBA"))

    for i in (1, 3, 4):
        np.testing.assert_array_equal(convert(i), doc.layers[i - 1].pixels)
    # ImageMagick folds a layer's opacity into its alpha when it extracts the layer.
    half = convert(2).astype(int)
    src = doc.layers[1].pixels.astype(int)
    np.testing.assert_array_equal(half[..., :3][src[..., 3] > 0], src[..., :3][src[..., 3] > 0])
    assert np.abs(half[..., 3] - src[..., 3] * 128 / 255).max() <= 1
    merged = convert(0).astype(int)
    expected = doc.compose().astype(int)
    np.testing.assert_array_equal(merged[..., 3], expected[..., 3])
    visible = expected[..., 3] > 0
    assert np.abs(merged[visible][:, :3] - expected[visible][:, :3]).max() <= 2


def test_foreign_psd_groups_flatten_in_order_and_canvas_pads(tmp_path):
    from psd_tools import PSDImage

    psd = PSDImage.new("RGBA", (100, 70))
    red = Image.new("RGBA", (20, 10), (255, 0, 0, 255))
    blue = Image.new("RGBA", (30, 30), (0, 0, 255, 128))
    psd.create_pixel_layer(Image.new("RGBA", (100, 70), (0, 255, 0, 255)), name="paper")
    group = psd.create_group(name="group", opacity=128)
    group.create_pixel_layer(red, name="inside 1", top=5, left=6)
    group.create_pixel_layer(blue, name="inside 2", top=-10, left=80)
    hidden = psd.create_group(name="hidden group")
    hidden.create_pixel_layer(red, name="in hidden", top=0, left=0)
    hidden.visible = False
    psd.create_pixel_layer(red, name="far away", top=500, left=500)
    psd.create_pixel_layer(blue, name="screen", top=0, left=0).blend_mode = "scrn"
    path = tmp_path / "foreign.psd"
    psd.save(path)

    doc, warnings = import_psd(path)
    assert (doc.width, doc.height) == (112, 80)  # padded to the 16 px grid
    names = [l.name for l in doc.layers]
    assert names == ["paper", "inside 1", "inside 2", "in hidden", "screen"]
    assert doc.layers[0].box == Box(0, 0, 112, 80)  # a 100 x 70 background grows with the canvas
    np.testing.assert_array_equal(doc.layers[0].pixels[:70, :100], np.asarray(psd[0].topil()))
    assert not doc.layers[0].pixels[70:].any() and not doc.layers[0].pixels[:, 100:].any()
    assert doc.layers[2].box == Box(80, -10, 110, 20)
    assert abs(doc.layers[1].opacity - 128 / 255) < 1e-6  # the group's opacity passes down
    assert [l.visible for l in doc.layers] == [True, True, True, False, True]
    np.testing.assert_array_equal(doc.layers[2].pixels, np.asarray(blue))
    assert any("100 x 70" in w for w in warnings)
    assert any("far away" in w and "skipped" in w for w in warnings)
    assert any("screen" in w for w in warnings)
    assert "2 layer groups were flattened: their layers are kept, the group names are not" in warnings
    assert all(l.provenance is None for l in doc.layers)


def test_nested_groups_are_counted_and_one_is_named_singular(tmp_path):
    from psd_tools import PSDImage

    dot = Image.new("RGBA", (8, 8), (255, 0, 0, 255))
    psd = PSDImage.new("RGBA", (32, 32))
    outer = psd.create_group(name="outer")
    outer.create_pixel_layer(dot, name="a")
    outer.create_group(name="inner").create_pixel_layer(dot, name="b")
    psd.save(tmp_path / "nested.psd")
    doc, warnings = import_psd(tmp_path / "nested.psd")
    assert [l.name for l in doc.layers[1:]] == ["a", "b"]
    assert "2 layer groups were flattened: their layers are kept, the group names are not" in warnings

    psd = PSDImage.new("RGBA", (32, 32))
    psd.create_group(name="only").create_pixel_layer(dot, name="a")
    psd.save(tmp_path / "one.psd")
    assert "1 layer group was flattened: its layers are kept, its name is not" in import_psd(tmp_path / "one.psd")[1]


def test_layer_mask_is_applied_when_rasterising(tmp_path):
    from psd_tools import PSDImage

    psd = PSDImage.new("RGB", (32, 32))  # an RGB document stores layer alpha as a mask
    pix = np.zeros((16, 16, 4), np.uint8)
    pix[..., 0] = 200
    pix[:, 8:, 3] = 255
    psd.create_pixel_layer(Image.fromarray(pix, "RGBA"), name="masked", top=4, left=4)
    path = tmp_path / "rgb.psd"
    psd.save(path)
    doc, _ = import_psd(path)
    layer = next(l for l in doc.layers if l.name == "masked")
    assert layer.box == Box(4, 4, 20, 20)
    assert (layer.pixels[:, 8:, 3] == 255).all() and (layer.pixels[:, :8, 3] == 0).all()
    assert (layer.pixels[:, 8:, 0] == 200).all()


def test_metadata_matches_layers_reordered_elsewhere(exported, tmp_path):
    from psd_tools import PSDImage

    doc, path = exported
    psd = PSDImage.open(path)
    top = psd[3]
    psd.remove(top)
    psd.insert(1, top)  # another editor moved "top" down
    moved = tmp_path / "moved.psd"
    psd.save(moved)
    back, _ = import_psd(moved)
    assert [l.name for l in back.layers] == ["Background", "top", NAME, "hidden one"]
    assert back.layers[2].provenance == doc.layers[1].provenance
    assert back.layers[3].hint == "make it red"


def test_export_is_atomic(tmp_path, monkeypatch):
    doc = make_document()
    path = tmp_path / "keep.psd"
    path.write_bytes(b"previous export")

    def broken(self, *a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr("psd_tools.psd.PSD.write", broken)
    with pytest.raises(RuntimeError):
        export_psd(doc, path)
    assert path.read_bytes() == b"previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.psd"]


@pytest.mark.parametrize("content, message", [
    (b"", "not a PSD"),
    (b"GIF89a" + bytes(40), "not a PSD"),
    (b"8BPS\x00\x01" + bytes(6) + b"\x00\x04" + (9000).to_bytes(4, "big") + (64).to_bytes(4, "big") + b"\x00\x08\x00\x03",
     "9000"),
])
def test_bad_files_give_user_errors(tmp_path, content, message):
    path = tmp_path / "bad.psd"
    path.write_bytes(content)
    with pytest.raises(UserError, match=message):
        import_psd(path)


def test_truncated_psd_gives_user_error(exported, tmp_path):
    _, path = exported
    data = path.read_bytes()
    cut = tmp_path / "cut.psd"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(UserError, match="cut.psd"):
        import_psd(cut)


def test_a_cut_off_psd_says_it_is_truncated(exported, tmp_path):
    doc, path = exported
    data = path.read_bytes()
    whole, _ = import_psd(path)
    cut = tmp_path / "cut.psd"
    failed = loaded = 0
    for n in range(30, len(data), len(data) // 40):
        cut.write_bytes(data[:n])
        try:
            back, warnings = import_psd(cut)
        except UserError as exc:
            assert str(exc).startswith(f"{cut}: the PSD file is truncated"), str(exc)
            failed += 1
            continue
        # cut inside the merged image, which only a flat file needs: the layers are whole, and the user is told
        loaded += 1
        assert [l.name for l in back.layers] == [l.name for l in whole.layers]
        assert all(np.array_equal(a.pixels, b.pixels) for a, b in zip(back.layers, whole.layers))
        assert any("truncated" in w for w in warnings), warnings
    assert failed and loaded


def test_a_cut_off_flat_psd_is_an_error_not_black_pixels(tmp_path):
    from psd_tools import PSDImage

    pixels = np.random.default_rng(0).integers(0, 256, (32, 48, 4), dtype=np.uint8)
    path = tmp_path / "flat.psd"
    PSDImage.frompil(Image.fromarray(pixels, "RGBA")).save(path)
    data = path.read_bytes()
    for n in (len(data) - 1, len(data) // 2):
        path.write_bytes(data[:n])
        with pytest.raises(UserError, match=r"flat.psd: the PSD file is truncated"):
            import_psd(path)


def test_missing_file_gives_user_error(tmp_path):
    with pytest.raises(UserError, match="cannot read"):
        import_psd(tmp_path / "nope.psd")


def test_adjustment_layers_are_skipped_with_one_warning(tmp_path):
    from psd_tools import PSDImage
    from psd_tools.constants import Tag
    from psd_tools.psd.tagged_blocks import TaggedBlock

    psd = PSDImage.new("RGBA", (32, 32))
    psd.create_pixel_layer(Image.new("RGBA", (32, 32), (0, 255, 0, 255)), name="paper")
    for name in ("negative", "negative again"):
        # An Invert adjustment: a layer record carrying the (empty) 'nvrt' block.
        adj = psd.create_pixel_layer(Image.new("RGBA", (32, 32)), name=name)
        adj._record.tagged_blocks[Tag.INVERT] = TaggedBlock(key=Tag.INVERT, data=b"")
    path = tmp_path / "adjust.psd"
    psd.save(path)
    assert PSDImage.open(path)[1].kind == "invert"
    doc, warnings = import_psd(path)
    assert [l.name for l in doc.layers] == ["paper"]
    assert len(warnings) == 1
    assert "2 layer(s)" in warnings[0] and "'negative'" in warnings[0] and "'negative again'" in warnings[0]


def test_flat_psd_becomes_a_background(tmp_path):
    from psd_tools import PSDImage

    pixels = np.zeros((32, 48, 4), np.uint8)
    pixels[..., 0] = 250
    pixels[..., 3] = 255
    pixels[:, 24:, 1] = 90
    path = tmp_path / "flat.psd"
    PSDImage.frompil(Image.fromarray(pixels, "RGBA")).save(path)
    doc, warnings = import_psd(path)
    assert warnings == [] and len(doc.layers) == 1
    assert doc.layers[0].box == Box(0, 0, 48, 32)
    np.testing.assert_array_equal(doc.layers[0].pixels, pixels)


def test_names_psd_cannot_hold_come_back_whole_with_their_metadata(tmp_path):
    """A PSD layer name keeps only printable text (255 characters at most); our metadata keeps the rest."""
    names = ["Red\u00a0star", "two\nlines", "x" * 300]
    layers = [Layer(Box(0, 0, 32, 32), ramp_pixels(32, 32), name="Background")]
    layers += [Layer(Box(0, 0, 16, 16), ramp_pixels(16, 16, 40 * i), name=n, seed=10 + i,
                     provenance=Provenance("m", "p", 10 + i, 4, f"phrase {i}")) for i, n in enumerate(names)]
    path = tmp_path / "n.psd"
    export_psd(Document(32, 32, "p", layers), path)
    back, _ = import_psd(path)
    assert [l.name for l in back.layers[1:]] == names
    assert [l.seed for l in back.layers[1:]] == [10, 11, 12]
    assert [l.provenance.phrase for l in back.layers[1:]] == ["phrase 0", "phrase 1", "phrase 2"]
