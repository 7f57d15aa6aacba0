"""`layerstudio generate | regenerate | decompose` on a tiny random model: outputs by suffix, exit codes,
validation before the model loads, nothing written on failure."""
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from layerstudio.cli import main
from layerstudio.document import Box, Document, Layer, Layout
from layerstudio.errors import UserError
from layerstudio.io import commands
from layerstudio.io.project import load_project, save_project
from layerstudio.io.psd import import_psd


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    from layerstudio.engine.pipeline import Pipeline

    directory = tmp_path_factory.mktemp("model") / "tiny"
    Pipeline.from_preset("tiny", seed=0).save(directory)
    return directory


@pytest.fixture(scope="session")
def tiny_model_id(tiny_model):
    from layerstudio.engine.pipeline import Pipeline

    return Pipeline.load(tiny_model, "cpu").model_id


def run(*argv):
    return main([str(a) for a in argv])


def gen_args(model, out, *extra):
    return ["generate", "--prompt", "a red kite ☀", "--box", "10,10,60,60", "--box", "40,-8,120,40",
            "--size", "128x96", "--seed", "4", "--steps", "2", "--model", model, "--device", "cpu",
            "--out", out, *extra]


def test_generate_psd(tiny_model, tiny_model_id, tmp_path, capsys):
    out = tmp_path / "design.psd"
    assert run(*gen_args(tiny_model, out)) == 0
    printed = capsys.readouterr().out
    assert "design.psd" in printed and "layers (bottom to top): Background, " in printed
    doc, warnings = import_psd(out)
    assert warnings == []
    assert (doc.width, doc.height, doc.prompt, doc.model_id) == (128, 96, "a red kite ☀", tiny_model_id)
    assert [l.box for l in doc.layers] == [Box(0, 0, 128, 96), Box(0, 0, 64, 64), Box(32, -16, 128, 48)]
    for layer in doc.layers:
        assert layer.provenance is not None and layer.provenance.model_id == tiny_model_id
        assert layer.provenance.steps == 2 and layer.provenance.prompt == "a red kite ☀"
    assert [l.seed for l in doc.layers] == [4, 5, 6]


def test_generate_warns_about_the_unread_end_of_a_long_prompt(tiny_model, tmp_path, capsys):
    prompt = "a red kite and a blue boat and a green tree and a tall yellow house by the sea"
    args = gen_args(tiny_model, tmp_path / "long.psd")
    args[args.index("--prompt") + 1] = prompt
    assert run(*args) == 0
    err = capsys.readouterr().err
    ignored = len(prompt[prompt.index("blue boat"):].split())
    assert "warning: The prompt is longer than this model reads" in err
    assert f"ignored the last {ignored} words, “blue boat and" in err
    assert run(*gen_args(tiny_model, tmp_path / "short.psd")) == 0
    assert "longer than this model reads" not in capsys.readouterr().err
    # regenerate reads the layer's own hint as the job does: the one given, else the one it has
    assert run("regenerate", tmp_path / "short.psd", "--layer", 1, "--hint", prompt, "--steps", 1,
               "--model", tiny_model, "--out", tmp_path / "hinted.lsproj") == 0
    assert "warning: Layer 1's hint is longer than this model reads" in capsys.readouterr().err
    assert run("regenerate", tmp_path / "hinted.lsproj", "--layer", 1, "--steps", 1,
               "--model", tiny_model, "--out", tmp_path / "again.lsproj") == 0
    assert "warning: Layer 1's hint" in capsys.readouterr().err
    assert run("regenerate", tmp_path / "hinted.lsproj", "--layer", 1, "--hint", "", "--steps", 1,
               "--model", tiny_model, "--out", tmp_path / "cleared.lsproj") == 0
    assert "longer than this model reads" not in capsys.readouterr().err


def test_generate_directory_of_pngs(tiny_model, tmp_path):
    out = tmp_path / "pngs"
    assert run(*gen_args(tiny_model, out)) == 0
    meta = json.loads((out / "layout.json").read_text(encoding="utf-8"))
    assert meta["canvas"] == [128, 96] and meta["prompt"] == "a red kite ☀"
    # named as in the Layers panel, numbered bottom to top
    assert [l["file"] for l in meta["layers"]] == [f"layers/{i:02d} {l['name']}.png" for i, l in enumerate(meta["layers"])]
    assert meta["layers"][0]["file"] == "layers/00 Background.png"
    assert [l["box"] for l in meta["layers"]] == [[0, 0, 128, 96], [0, 0, 64, 64], [32, -16, 128, 48]]
    assert [l["seed"] for l in meta["layers"]] == [4, 5, 6]
    # layout.json doubles as a layout file for --layout.
    assert Layout.from_json(meta).boxes == [Box(0, 0, 64, 64), Box(32, -16, 128, 48)]
    layers = []
    for entry in meta["layers"]:
        with Image.open(out / entry["file"]) as im:
            assert im.mode == "RGBA" and im.size == (128, 96)
            layers.append(Layer(Box(0, 0, 128, 96), np.array(im), name=entry["name"]))
    # The composite is exactly the layers composed (overflow cut at the canvas edge).
    with Image.open(out / "composite.png") as im:
        composite = np.array(im)
    np.testing.assert_array_equal(composite, Document(128, 96, "", layers).compose())
    assert not layers[2].pixels[:, :32].any()  # the overflowing layer sits at its box
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pngs"]  # no temp directory left behind


def test_generate_from_layout_file_to_project(tiny_model, tmp_path):
    layout = tmp_path / "layout.json"
    Layout(64, 64, "two dots", [(0, 0, 32, 32), (32, 32, 64, 64)], seed=11).save(layout)
    out = tmp_path / "d.lsproj"
    assert run("generate", "--layout", layout, "--model", tiny_model, "--out", out) == 0
    doc = load_project(out)
    assert doc.prompt == "two dots" and len(doc.layers) == 3
    assert [l.seed for l in doc.layers] == [11, 12, 13]
    out2 = tmp_path / "e.lsproj"
    assert run("generate", "--layout", layout, "--seed", 20, "--model", tiny_model, "--out", out2) == 0
    assert [l.seed for l in load_project(out2).layers] == [20, 21, 22]


def test_prompt_with_a_layout_file_replaces_its_prompt_and_says_so(tiny_model, tmp_path, capsys):
    layout = tmp_path / "layout.json"
    Layout(64, 64, "two dots", [(0, 0, 32, 32), (32, 32, 64, 64)], seed=11).save(layout)
    out = tmp_path / "d.lsproj"
    assert run("generate", "--layout", layout, "--prompt", "three stars", "--steps", 1, "--model", tiny_model,
               "--out", out) == 0
    doc = load_project(out)
    assert doc.prompt == "three stars"
    assert [l.box for l in doc.layers[1:]] == [Box(0, 0, 32, 32), Box(32, 32, 64, 64)] and doc.layers[0].seed == 11
    err = capsys.readouterr().err
    assert "note: --prompt replaces the prompt of" in err and "'two dots'" in err
    # the same prompt replaces nothing: no note
    assert run("generate", "--layout", layout, "--prompt", "two dots", "--steps", 1, "--model", tiny_model,
               "--out", tmp_path / "e.lsproj") == 0
    assert "note" not in capsys.readouterr().err


def test_generate_refuses_an_empty_prompt_as_the_app_does(tiny_model, tmp_path, capsys):
    layout = tmp_path / "layout.json"
    Layout(64, 64, "", [(0, 0, 32, 32)], seed=11).save(layout)
    for argv in (["--prompt", "  ", "--size", "64x64", "--box", "0,0,32,32"], ["--layout", layout],
                 ["--layout", layout, "--prompt", ""]):
        assert run("generate", *argv, "--model", tiny_model, "--out", tmp_path / "d.lsproj") == 2
        assert "the prompt is empty: say what the design shows" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["layout.json"]


def test_regenerate_changes_one_layer_and_keeps_the_old_as_variation(tiny_model, tmp_path):
    src = tmp_path / "src.lsproj"
    assert run(*gen_args(tiny_model, src)) == 0
    before = load_project(src)
    out = tmp_path / "after.lsproj"
    assert run("regenerate", src, "--layer", 1, "--seed", 99, "--hint", "blue", "--steps", 2,
               "--model", tiny_model, "--out", out) == 0
    after = load_project(out)
    for i in (0, 2):
        np.testing.assert_array_equal(after.layers[i].pixels, before.layers[i].pixels)
    assert not np.array_equal(after.layers[1].pixels, before.layers[1].pixels)
    assert after.layers[1].seed == 99 and after.layers[1].hint == "blue"
    assert after.layers[1].provenance.seed == 99
    (old,) = after.layers[1].variations
    np.testing.assert_array_equal(old.pixels, before.layers[1].pixels)
    assert old.seed == before.layers[1].seed
    # In place is fine too: the write is atomic.
    assert run("regenerate", out, "--layer", 2, "--model", tiny_model, "--out", out) == 0
    again = load_project(out)
    assert again.layers[2].seed == after.layers[2].seed + 1  # default: the layer's seed + 1
    assert len(again.layers[1].variations) == 1 and len(again.layers[2].variations) == 1


def test_regenerate_a_project_with_a_damaged_layer_warns_and_redraws_it(tiny_model, tmp_path, capsys):
    """A layer image cut short costs that layer only: the project loads with a warning, and regenerating the layer
    draws it again."""
    import zipfile

    src = tmp_path / "src.lsproj"
    assert run(*gen_args(tiny_model, src)) == 0
    before = load_project(src)
    with zipfile.ZipFile(src) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    entries["layers/002.png"] = entries["layers/002.png"][:100]
    bad = tmp_path / "bad.lsproj"
    with zipfile.ZipFile(bad, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    capsys.readouterr()
    out = tmp_path / "after.lsproj"
    assert run("regenerate", bad, "--layer", 2, "--steps", 2, "--model", tiny_model, "--out", out) == 0
    err = capsys.readouterr().err
    assert f"layerstudio: warning: layer 2 “{before.layers[2].name}”: its image is damaged, so it opens empty" in err
    after = load_project(out)
    for i in (0, 1):
        np.testing.assert_array_equal(after.layers[i].pixels, before.layers[i].pixels)
    assert after.layers[2].pixels.any() and after.layers[2].seed == before.layers[2].seed + 1


def test_decompose_image(tiny_model, tmp_path):
    image = np.zeros((64, 80, 4), np.uint8)
    image[..., 2] = 200
    image[..., 3] = 255
    image[16:48, 16:48, :3] = (250, 40, 40)
    path = tmp_path / "in.png"
    Image.fromarray(image, "RGBA").save(path)
    out = tmp_path / "split.psd"
    assert run("decompose", path, "--box", "16,16,48,48", "--prompt", "a red square", "--steps", 2,
               "--model", tiny_model, "--out", out) == 0
    doc, _ = import_psd(out)
    assert (doc.width, doc.height) == (80, 64)
    assert [l.box for l in doc.layers] == [Box(0, 0, 80, 64), Box(16, 16, 48, 48)]
    assert doc.prompt == "a red square"


@pytest.fixture
def no_model(monkeypatch):
    """Validation must finish before the model loads: loading it fails the test."""
    def refuse(args):
        raise AssertionError("the model was loaded before the input was validated")

    monkeypatch.setattr(commands, "load_pipeline", refuse)


def bad_cases(tmp_path):
    corrupt = tmp_path / "corrupt.lsproj"
    corrupt.write_bytes(b"PK\x03\x04 not really")
    notimage = tmp_path / "notimage.png"
    notimage.write_bytes(b"hello")
    odd = tmp_path / "odd.png"
    Image.new("RGBA", (100, 64)).save(odd)
    good = tmp_path / "good.lsproj"
    save_project(Document(32, 32, "", [Layer(Box(0, 0, 32, 32))]), good)
    layout = tmp_path / "bad_layout.json"
    layout.write_text('{"canvas": [64, 64], "boxes": [[0, 0, 0, 10]]}')
    out = tmp_path / "out"
    return [
        (["generate", "--prompt", "p", "--box", "1,2,3", "--size", "64x64", "--out", out / "a.psd"], "--box"),
        (["generate", "--prompt", "p", "--box", "a,b,c,d", "--size", "64x64", "--out", out / "a.psd"], "--box"),
        (["generate", "--prompt", "p", "--box", "0,0,0,10", "--size", "64x64", "--out", out / "a.psd"], "zero or negative"),
        (["generate", "--prompt", "p", "--box", "200,0,210,10", "--size", "64x64", "--out", out / "a.psd"], "outside"),
        (["generate", "--prompt", "p", "--size", "65x64", "--out", out / "a.psd"], "multiple of 16"),
        (["generate", "--prompt", "p", "--size", "big", "--out", out / "a.psd"], "WIDTHxHEIGHT"),
        (["generate", "--prompt", "p", "--out", out / "a.psd"], "--size"),
        (["generate", "--size", "64x64", "--out", out / "a.psd"], "--prompt"),
        (["generate", "--prompt", "p", "--size", "64x64", "--steps", "0", "--out", out / "a.psd"], "--steps"),
        # box k takes seed + k: a seed near 2^63 failed only at saving, after the whole generation
        (["generate", "--prompt", "p", "--size", "64x64", "--seed", str(2**31), "--out", out / "a.psd"],
         "--seed 2147483648"),
        (["generate", "--prompt", "p", "--size", "64x64", "--model", tmp_path / "nomodel", "--out", out / "a.psd"], "--model"),
        (["generate", "--prompt", "p", "--size", "64x64", "--out", tmp_path / "missing" / "a.psd"], "does not exist"),
        (["generate", "--prompt", "p", "--size", "64x64", "--model", layout, "--out", out / "a.psd"],
         "is not a directory"),
        (["generate", "--prompt", "p", "--size", "64x64", "--out", out / "x.png"], "single image"),
        (["generate", "--prompt", "p", "--size", "64x64", "--out", out / "foo.txt"], "unknown output type '.txt'"),
        (["generate", "--prompt", "p", "--size", "64x64", "--out", out / "a.pds"], f"did you mean {out / 'a.psd'}?"),
        (["generate", "--layout", layout, "--out", out / "a.psd"], "zero or negative"),
        (["generate", "--layout", tmp_path / "nolayout.json", "--out", out / "a.psd"], "cannot read layout"),
        (["generate", "--prompt", "p", "--size", "64x64", "--box", "0,0,16,16", "--layout", layout,
          "--out", out / "a.psd"], "do not combine"),
        (["regenerate", corrupt, "--layer", "0", "--out", out / "r.lsproj"], "corrupt.lsproj"),
        (["regenerate", tmp_path / "none.lsproj", "--layer", "0", "--out", out / "r.lsproj"], "cannot read"),
        (["regenerate", good, "--layer", "3", "--out", out / "r.lsproj"], "--layer 3"),
        (["decompose", notimage, "--out", out / "d.psd"], "notimage.png"),
        (["decompose", odd, "--box", "120,0,136,16", "--out", out / "d.psd"], "outside the 112 x 64"),
        (["decompose", tmp_path / "none.png", "--out", out / "d.psd"], "no such file"),
    ]


def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys, no_model):
    (tmp_path / "out").mkdir()
    for argv, expected in bad_cases(tmp_path):
        assert run(*argv) == 2, argv
        err = capsys.readouterr().err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "error:" in lines[0] and expected in lines[0], (argv, err)
        assert list((tmp_path / "out").iterdir()) == []


def test_bad_input_in_a_real_process(tmp_path):
    out = tmp_path / "x.psd"
    proc = subprocess.run([sys.executable, "-m", "layerstudio", "generate", "--prompt", "p", "--box", "5,5,5,9",
                           "--size", "64x64", "--out", str(out)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "box 1" in proc.stderr
    assert not out.exists()


def test_failed_write_leaves_nothing(tiny_model, tmp_path, monkeypatch):
    from layerstudio.io import png

    calls = []

    def flaky(pixels, path):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        Image.fromarray(pixels, "RGBA").save(path)

    monkeypatch.setattr(png, "_save_png", flaky)
    with pytest.raises(UserError, match="the disk is full"):
        commands.write_output(load_project_doc(tiny_model, tmp_path), commands.parse_output(str(tmp_path / "o")))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src.lsproj"]
    # An existing output directory keeps its previous files when the new write fails.
    monkeypatch.undo()
    doc = load_project(tmp_path / "src.lsproj")
    commands.write_output(doc, commands.parse_output(str(tmp_path / "o")))
    before = {p.name: p.read_bytes() for p in (tmp_path / "o" / "layers").iterdir()}
    calls.clear()
    monkeypatch.setattr(png, "_save_png", flaky)
    with pytest.raises(UserError, match=f"cannot export {tmp_path / 'o'}"):
        commands.write_output(doc, commands.parse_output(str(tmp_path / "o")))
    assert {p.name: p.read_bytes() for p in (tmp_path / "o" / "layers").iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o", "src.lsproj"]
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["composite.png", "layers", "layout.json"]


def test_pngs_never_replace_a_layers_folder_holding_the_users_files(tiny_model, tmp_path):
    doc = load_project_doc(tiny_model, tmp_path)
    out = tmp_path / "o"
    (out / "layers").mkdir(parents=True)
    (out / "layers" / "mine.png").write_bytes(b"my picture")
    (out / "notes.txt").write_text("keep")
    with pytest.raises(UserError, match=r"it holds layers \(mine.png\) that no export wrote"):
        commands.write_output(doc, commands.parse_output(str(out)))
    assert (out / "layers" / "mine.png").read_bytes() == b"my picture"
    assert sorted(p.name for p in out.iterdir()) == ["layers", "notes.txt"]
    (out / "layers" / "mine.png").unlink()
    (out / "layers").rmdir()
    commands.write_output(doc, commands.parse_output(str(out)))
    earlier = doc.copy()
    earlier.layers = earlier.layers[:-1]
    commands.write_output(earlier, commands.parse_output(str(out)))  # an earlier export, replaced whole
    assert sorted(p.name for p in (out / "layers").iterdir()) == [f"{i:02d} {layer.name}.png"
                                                                   for i, layer in enumerate(earlier.layers)]
    assert (out / "notes.txt").read_text() == "keep"
    # numbered files its layout.json does not list are the user's (a folder of frames): kept, and refused
    (out / "layers" / "99.png").write_bytes(b"my frame")
    with pytest.raises(UserError, match=r"layers folder holds files an export did not write \(99.png\)"):
        commands.write_output(doc, commands.parse_output(str(out)))
    assert (out / "layers" / "99.png").read_bytes() == b"my frame"


def test_pngs_never_overwrite_a_composite_or_layout_no_export_wrote(tiny_model, tmp_path):
    doc = load_project_doc(tiny_model, tmp_path)
    for name, content in (("composite.png", b"my picture"), ("layout.json", b'{"canvas": [1, 1], "mine": true}')):
        out = tmp_path / name.split(".")[0]
        out.mkdir()
        (out / name).write_bytes(content)
        with pytest.raises(UserError, match=f"it holds {name} that no export wrote"):
            commands.write_output(doc, commands.parse_output(str(out)))
        assert (out / name).read_bytes() == content and [p.name for p in out.iterdir()] == [name]


def test_a_failed_psd_write_is_a_user_error_and_leaves_nothing(tiny_model, tmp_path, monkeypatch):
    from psd_tools.psd.layer_and_mask import LayerAndMaskInformation

    doc = load_project_doc(tiny_model, tmp_path)

    def full(self, fp, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(LayerAndMaskInformation, "write", full)
    with pytest.raises(UserError, match="cannot export .*x.psd: the disk is full"):
        commands.write_output(doc, commands.parse_output(str(tmp_path / "x.psd")))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src.lsproj"]


def test_an_out_name_too_long_for_the_disk_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="--out .*: File name too long"):
        commands.parse_output(str(tmp_path / ("x" * 300 + ".psd")))
    with pytest.raises(UserError, match="File name too long"):
        commands.parse_output(str(tmp_path / ("x" * 300)))


def test_pngs_export_into_a_folder_that_is_a_disk_of_its_own(tiny_model, tmp_path, monkeypatch):
    """A USB stick's top folder: nothing can be renamed into it from its parent, which is another disk."""
    import errno
    import os

    from layerstudio.io import atomic

    doc = load_project_doc(tiny_model, tmp_path)
    stick = tmp_path / "stick"
    (stick / "notes").mkdir(parents=True)
    real_rename, real_replace = os.rename, os.replace

    def same_disk_only(rename):
        def guarded(src, dst):
            if (stick in Path(src).parents) != (stick in Path(dst).parents):
                raise OSError(errno.EXDEV, "Invalid cross-device link")
            return rename(src, dst)
        return guarded

    monkeypatch.setattr(atomic.os, "rename", same_disk_only(real_rename))
    monkeypatch.setattr(atomic.os, "replace", same_disk_only(real_replace))
    commands.write_output(doc, commands.parse_output(str(stick)))
    assert sorted(p.name for p in stick.iterdir()) == ["composite.png", "layers", "layout.json", "notes"]
    assert len(list((stick / "layers").iterdir())) == len(doc.layers)
    commands.write_output(doc, commands.parse_output(str(stick)))  # and again, over the first export
    assert sorted(p.name for p in stick.iterdir()) == ["composite.png", "layers", "layout.json", "notes"]


def load_project_doc(tiny_model, tmp_path):
    assert run(*gen_args(tiny_model, tmp_path / "src.lsproj")) == 0
    return load_project(tmp_path / "src.lsproj")


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_only_on_a_terminal(tiny_model, tmp_path, monkeypatch):
    tty = FakeTTY()
    monkeypatch.setattr(sys, "stderr", tty)
    assert run(*gen_args(tiny_model, tmp_path / "a.psd")) == 0
    text = tty.getvalue()
    assert "\r" in text and "generate [" in text and "2/2" in text and text.endswith("\n")
    pipe = io.StringIO()
    monkeypatch.setattr(sys, "stderr", pipe)
    assert run(*gen_args(tiny_model, tmp_path / "b.psd")) == 0
    assert "\r" not in pipe.getvalue() and "generate [" not in pipe.getvalue()  # notices may still be printed


def test_regenerate_a_psd_keeps_the_other_layers(tiny_model, tmp_path):
    src = tmp_path / "design.psd"
    assert run(*gen_args(tiny_model, src)) == 0
    before, _ = import_psd(src)
    out = tmp_path / "again.psd"
    assert run("regenerate", src, "--layer", 2, "--seed", 3, "--model", tiny_model, "--out", out) == 0
    after, _ = import_psd(out)
    for i in (0, 1):
        np.testing.assert_array_equal(after.layers[i].pixels, before.layers[i].pixels)
        assert after.layers[i].provenance == before.layers[i].provenance
    assert after.layers[2].seed == 3 and after.layers[2].provenance.seed == 3


def test_negative_box_needs_no_equals_sign(tiny_model, tmp_path, capsys):
    out = tmp_path / "off-edge.lsproj"
    assert run("generate", "--prompt", "a kite", "--box", "-40,16,48,80", "--box", "16,-8,48,24",
               "--size", "64x64", "--steps", 2, "--model", tiny_model, "--out", out) == 0, capsys.readouterr().err
    doc = load_project(out)
    assert [l.box for l in doc.layers[1:]] == [Box(-48, 16, 48, 80), Box(16, -16, 48, 32)]
    # Only the value after --box is joined; '--' ends option processing as usual.
    from layerstudio.cli import join_negative_values

    assert join_negative_values(["generate", "--box", "-1,2,3,4", "--prompt", "-x", "--", "--box", "-1"]) == \
        ["generate", "--box=-1,2,3,4", "--prompt", "-x", "--", "--box", "-1"]


def test_decompose_pads_an_image_off_the_grid(tiny_model, tmp_path, capsys):
    image = np.zeros((70, 100, 4), np.uint8)
    image[..., 3] = 255
    image[10:40, 10:60, 0] = 240
    path = tmp_path / "odd.png"
    Image.fromarray(image, "RGBA").save(path)
    out = tmp_path / "odd.lsproj"
    assert run("decompose", path, "--box", "10,10,60,40", "--steps", 2, "--model", tiny_model, "--out", out) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "100 x 70" in err[0] and "padded" in err[0] and "112 x 80" in err[0]
    assert "22% of the picture is clear" in err[1]  # the padding: its layers stay clear there
    doc = load_project(out)
    assert (doc.width, doc.height) == (112, 80)
    assert [l.box for l in doc.layers[1:]] == [Box(0, 0, 64, 48)]
    padded, note = commands.pad_to_grid(image)
    assert padded.shape == (80, 112, 4) and note
    np.testing.assert_array_equal(padded[:70, :100], image)
    assert not padded[70:].any() and not padded[:, 100:].any()
    again, note = commands.pad_to_grid(padded)
    assert again is padded and note == ""


def test_out_directory_names(tmp_path):
    assert commands.parse_output(str(tmp_path / "pngs")).kind == "dir"
    assert commands.parse_output(str(tmp_path / "renders.v2") + "/").kind == "dir"  # a slash says directory
    (tmp_path / "old.d").mkdir()
    assert commands.parse_output(str(tmp_path / "old.d")).kind == "dir"  # an existing directory, any name
    assert commands.parse_output(str(tmp_path / "a.PSD")).kind == "psd"
    assert not (tmp_path / "pngs").exists() and not (tmp_path / "renders.v2").exists()


def test_a_model_with_a_bad_config_exits_2_naming_the_field(tiny_model, tmp_path, capsys):
    import shutil

    for name, change, expected in [
        ("width", lambda d: d["transformer"].update(width="abc"), "'transformer.width' is \"abc\", expected an integer"),
        ("factor", lambda d: d.update(latent_factor=3), "'latent_factor' is 3, expected 8"),
    ]:
        model = tmp_path / name
        shutil.copytree(tiny_model, model)
        data = json.loads((model / "config.json").read_text())
        change(data)
        (model / "config.json").write_text(json.dumps(data))
        assert run("generate", "--model", model, "--prompt", "a red star", "--box", "10,10,100,100",
                   "--size", "128x128", "--out", tmp_path / "x.psd") == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("layerstudio generate: error: model config "), lines
        assert str(model / "config.json") in lines[0] and expected in lines[0], lines
        assert not (tmp_path / "x.psd").exists()


def test_model_path_that_is_a_file(tmp_path):
    from layerstudio.engine.model import LayerModel
    from layerstudio.errors import UserError

    config = tmp_path / "config.json"
    config.write_text("{}")
    with pytest.raises(UserError, match="config.json is not a directory"):
        LayerModel.load(config)
    with pytest.raises(UserError, match="does not exist"):
        LayerModel.load(tmp_path / "none")


def test_one_layer_one_step_in_the_summary(tiny_model, tmp_path, capsys):
    out = tmp_path / "bg.lsproj"
    assert run("generate", "--prompt", "sky", "--size", "32x32", "--steps", 1, "--model", tiny_model,
               "--out", out) == 0
    assert ": 1 layer on 32 x 32, 1 step," in capsys.readouterr().out


def test_layer_files_are_named_after_their_layers_in_names_every_system_can_hold(tmp_path):
    from layerstudio.io.png import earlier_export, layer_file

    # an export from before layer files had names is still one, replaced by the next
    (tmp_path / "layers").mkdir()
    (tmp_path / "layers" / "00.png").write_bytes(b"png")
    (tmp_path / "layout.json").write_text('{"canvas": [8, 8], "layers": [{"file": "layers/00.png"}]}')
    assert earlier_export(tmp_path)

    assert layer_file(1, "Red star") == "layers/01 Red star.png"
    assert layer_file(12, 'a/b\\c: "d"?') == "layers/12 a_b_c_ _d_.png"  # no folders, nothing Windows refuses
    assert layer_file(3, "Sun.") == "layers/03 Sun.png" and layer_file(3, "...") == "layers/03.png"
    assert layer_file(4, "Ünïcode ☀") == "layers/04 Ünïcode ☀.png"
    assert len(layer_file(5, "x" * 500)) == len("layers/05 .png") + 60
