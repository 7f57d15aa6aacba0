import json
import os
import subprocess
import sys
import warnings
from argparse import Namespace
from pathlib import Path

import numpy as np
import pytest
import torch

from layerstudio.engine.config import preset
from layerstudio.engine.pipeline import Pipeline
from layerstudio.errors import UserError
from layerstudio.training.evaluate import colour_matches, evaluate, psnr
from layerstudio.training.train import Trainer, lr_at, recolour


def train_args(out, **kw):
    args = dict(out=str(out), preset="tiny", data="corpus", steps=2, ae_steps=2, batch=2, lr=None, seed=0,
                checkpoint_every=1, time_limit=None, resume=False, device="cpu", init=None, planner_steps=None)
    args.update(kw)
    return Namespace(**args)


def test_training_runs_checkpoints_and_resumes(tmp_path):
    assert Trainer(train_args(tmp_path)).run() == 0
    log = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [r["phase"] for r in log] == ["ae", "ae", "dit", "dit", "planner", "planner"]
    assert all(np.isfinite(r["loss"]) for r in log)
    # the wait for data and the model's own steps are parts of the step's time: how much of it each decides
    assert all(0 <= r["data_wait"] + r["seconds_step"] + r["seconds_decoder_step"] <= r["sec_per_step"] + 0.002
               for r in log)
    assert all(r["seconds_step"] > 0 for r in log) and any(r["seconds_decoder_step"] > 0 for r in log)
    first = Pipeline.load(tmp_path / "model")
    assert first.config.text.vocab  # the tokenizer's vocabulary is built from corpus captions and stored
    # the latent statistics were measured after the autoencoder phase
    assert not np.allclose(first.model.autoencoder.latent_scale.numpy(), 1.0)
    assert first.model.planner is not None  # trained last, so saved

    resumed = Trainer(train_args(tmp_path, steps=4, resume=True))
    # finished, then asked for more transformer steps: back to that phase; the trained planner stays
    assert resumed.state == {"phase": "dit", "ae_step": 2, "dit_step": 2, "planner_step": 2, "planner_ready": True,
                             "anchored": False}
    assert resumed.run() == 0
    log = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    dit_steps = [r["step"] for r in log if r.get("phase") == "dit"]
    assert dit_steps[-1] == 4 and dit_steps == sorted(set(dit_steps))  # continued, not restarted
    assert Pipeline.load(tmp_path / "model").model_id != first.model_id


def test_torchrun_trains_data_parallel_and_resumes(tmp_path):
    """Two ranks on the CPU (gloo), as `torchrun --nproc_per_node N` runs on N GPUs. Their steps reach different
    parameters (a glyph here, a hint there), and each checkpoint checks that the ranks still hold one model: each
    rank sending only its own gradients aborted gloo, and the colour probe started from each rank's own seed."""
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                "-m", "layerstudio", "train", "--out", str(tmp_path)]
    env = {**os.environ, "GLOO_SOCKET_IFNAME": "lo"} if sys.platform == "linux" else None
    for extra in (["--preset", "tiny", "--steps", "3", "--ae-steps", "2", "--planner-steps", "2",
                   "--checkpoint-every", "2", "--device", "cpu"], ["--resume", "--steps", "4"]):
        done = subprocess.run(torchrun + extra, capture_output=True, text=True, timeout=600, env=env)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    log = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    steps = [(r["phase"], r["step"]) for r in log if "step" in r]  # rank 0 logs alone
    assert steps == [("ae", 1), ("ae", 2), ("dit", 1), ("dit", 3), ("planner", 1), ("planner", 2), ("dit", 4)]
    assert Pipeline.load(tmp_path / "model").model.planner is not None


def test_a_run_that_never_trains_its_planner_saves_none(tmp_path):
    """An untrained planner would deal the prompt's phrases at random; such a model keeps its layers anonymous."""
    assert Trainer(train_args(tmp_path, steps=1, ae_steps=1, planner_steps=0)).run() == 0
    assert Pipeline.load(tmp_path / "model").model.planner is None
    # started from it, a run trains one; started from a model with one, it keeps it
    assert Trainer(train_args(tmp_path / "b", init=str(tmp_path / "model"), ae_steps=0, steps=0,
                              planner_steps=1)).run() == 0
    assert Pipeline.load(tmp_path / "b" / "model").model.planner is not None
    assert Trainer(train_args(tmp_path / "c", init=str(tmp_path / "b" / "model"), ae_steps=0, steps=0,
                              planner_steps=0)).run() == 0
    assert Pipeline.load(tmp_path / "c" / "model").model.planner is not None


def test_init_starts_from_another_models_weights(tmp_path):
    import torch
    from safetensors.torch import load_file, save_file

    source = tmp_path / "source"
    Pipeline.from_preset("tiny", seed=5).save(source)
    weights = load_file(source / "model.safetensors")
    weights["text.pos"] = weights["text.pos"][:10]  # an older model with a shorter position table
    del weights["transformer.composite_in.weight"]  # and without a newer part
    save_file(weights, source / "model.safetensors")

    trainer = Trainer(train_args(tmp_path / "run", init=str(source), ae_steps=0))
    state = trainer.model.state_dict()
    assert trainer.init_report["fresh"] == ["transformer.composite_in.weight"]
    assert trainer.init_report["rows_copied"] == ["text.pos"]
    assert torch.equal(state["text.pos"][:10], weights["text.pos"])
    assert torch.equal(state["transformer.img_in.weight"], weights["transformer.img_in.weight"])
    assert trainer.cfg.text.vocab == json.loads((source / "config.json").read_text())["text"]["vocab"]
    assert trainer.run() == 0
    trained = Pipeline.load(tmp_path / "run" / "model").model
    # no autoencoder steps: the initial model's autoencoder and latent statistics are kept
    torch.testing.assert_close(trained.autoencoder.latent_scale, weights["autoencoder.latent_scale"])
    torch.testing.assert_close(trained.autoencoder.encoder.net[0].weight, weights["autoencoder.encoder.net.0.weight"],
                               atol=1e-3, rtol=1e-3)  # the exported model is fp16


def test_a_run_started_from_another_keeps_its_colour_probe(tmp_path):
    """The probe is a training head, not part of the model; saved beside the weights, a continued run starts with
    the probe it was trained with instead of a random one that pushes the features while it learns."""
    assert Trainer(train_args(tmp_path / "a", ae_steps=1, steps=1, planner_steps=0)).run() == 0
    trained = Trainer(train_args(tmp_path / "a", resume=True)).colour_probe.state_dict()  # as checkpointed
    assert (tmp_path / "a" / "model" / "colour_probe.safetensors").is_file()
    continued = Trainer(train_args(tmp_path / "b", init=str(tmp_path / "a" / "model"), ae_steps=0))
    state = continued.colour_probe.state_dict()
    assert continued.init_report["probe"]["copied"] == len(state)
    assert all(torch.equal(state[k], trained[k]) for k in state)
    # a model without one (the app's own saves) starts a fresh probe
    Pipeline.from_preset("tiny", seed=5).save(tmp_path / "plain")
    fresh = Trainer(train_args(tmp_path / "c", init=str(tmp_path / "plain"), ae_steps=0))
    assert "probe" not in fresh.init_report
    assert not torch.equal(fresh.colour_probe.state_dict()["layer.1.weight"], trained["layer.1.weight"])


def test_autoencoder_steps_after_init_keep_the_latents_near_the_initial_encoders(tmp_path):
    """The initial model's transformer knows its encoder's latents: the encoder may improve, anchored to them."""
    import torch

    source = tmp_path / "source"
    Pipeline.from_preset("tiny", seed=5).save(source)
    initial = Pipeline.load(source).model.autoencoder.state_dict()
    trainer = Trainer(train_args(tmp_path / "run", init=str(source), ae_steps=3, steps=0))
    assert trainer.run() == 0
    trained = trainer.model.autoencoder.state_dict()
    assert not torch.equal(trained["encoder.net.0.weight"], initial["encoder.net.0.weight"])
    for name in ("latent_shift", "latent_scale"):  # the statistics the transformer was trained with stay
        assert torch.equal(trained[name], initial[name])
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert all("drift_rms" in r for r in log if r.get("phase") == "ae")

    resumed = Trainer(train_args(tmp_path / "run", ae_steps=5, steps=0, resume=True))
    anchor = resumed.initial_encoder.state_dict()
    assert all(torch.equal(anchor[k], initial["encoder." + k]) for k in anchor)  # not the encoder it resumes with


def test_recolour_maps_every_layer_of_a_design_alike_and_keeps_alpha():
    import random

    import torch

    red = torch.zeros(4, 8, 8)
    red[0], red[3] = 1.0, torch.linspace(0, 1, 64).view(8, 8)
    mapped = [recolour([red, red.clone()], random.Random(seed)) for seed in range(40)]
    for a, b in mapped:
        assert torch.equal(a, b)
        assert torch.equal(a[3], red[3])
    colours = {tuple(a[:3, 0, 0].mul(255).round().int().tolist()) for a, _ in mapped}
    assert len(colours) > 20  # the colour space is covered, not a few fixed colours


def test_init_from_a_folder_without_weights_is_a_clear_error(tmp_path):
    with pytest.raises(UserError, match=r"no model.safetensors there \(give a model directory\)"):
        Trainer(train_args(tmp_path / "run", init=str(tmp_path)))
    Pipeline.from_preset("tiny", seed=5).save(tmp_path / "model")  # a run's folder, its model inside
    with pytest.raises(UserError, match=f"a run's is {tmp_path / 'model'}"):
        Trainer(train_args(tmp_path / "run", init=str(tmp_path)))


def test_training_draws_high_noise_levels():
    import random

    from layerstudio.training.train import sample_t

    rng = random.Random(0)
    ts = [sample_t(rng) for _ in range(4000)]
    assert all(0 < t <= 1 for t in ts)
    assert sum(t > 0.9 for t in ts) / len(ts) > 0.04  # sampling starts at t = 1: train there


def test_resume_without_checkpoint_is_a_clear_error(tmp_path):
    from layerstudio.errors import UserError

    with pytest.raises(UserError, match="nothing to resume"):
        Trainer(train_args(tmp_path, resume=True))


@pytest.mark.parametrize("files, message", [
    ({}, "no PSD files in it"),
    ({"a.psd": b"8BPS broken"}, "its one PSD file cannot be trained on (a.psd: "),
    ({"a.psd": b"", "sub/b.PSD": b"GIF89a"}, "none of its 2 PSD files can be trained on (the first: a.psd: "),
])
def test_train_on_a_folder_without_readable_psds_fails_with_one_line_before_anything_starts(
        tmp_path, capsys, files, message):
    from layerstudio.cli import main

    data = tmp_path / "psds"
    data.mkdir()
    for name, content in files.items():
        (data / name).parent.mkdir(exist_ok=True)
        (data / name).write_bytes(content)
    out = tmp_path / "runs" / "mine"
    # the default preset, whose data comes from a worker process: its error must not arrive as a traceback
    assert main(["train", "--data", str(data), "--out", str(out), "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and message in err, err
    assert not (tmp_path / "runs").exists()


def test_a_failed_train_run_removes_only_the_empty_folders_it_made(tmp_path, capsys):
    from layerstudio.cli import main

    assert main(["train", "--resume", "--out", str(tmp_path / "new" / "run")]) == 2
    assert "nothing to resume" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    assert main(["train", "--resume", "--out", str(mine)]) == 2
    assert (mine / "notes.txt").read_text() == "keep me"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["train", "--resume", "--out", str(empty)]) == 2
    assert empty.is_dir()  # the user's own folder, even empty, stays


def test_a_run_resumes_on_its_own_data_and_is_never_overwritten(tmp_path, capsys):
    from layerstudio.cli import main
    from layerstudio.document import Box, Document, Layer
    from layerstudio.io.psd import export_psd

    data = tmp_path / "psds"
    data.mkdir()
    dot = np.zeros((32, 32, 4), np.uint8)
    dot[8:24, 8:24] = (220, 20, 20, 255)
    for k in range(2):
        white = np.full((64, 64, 4), 255, np.uint8)
        export_psd(Document(64, 64, "", [Layer(Box(0, 0, 64, 64), white, name="white"),
                                         Layer(Box(16 * k, 16, 16 * k + 32, 48), dot, name="red dot")]),
                   data / f"{k}.psd")
    (data / "zz_broken.psd").write_bytes(b"8BPS not really a psd")
    out = tmp_path / "run"
    common = ["--preset", "tiny", "--out", str(out), "--device", "cpu", "--ae-steps", "1", "--planner-steps", "1",
              "--batch", "2"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main(["train", "--data", str(data), "--steps", "1", *common]) == 0
    err = capsys.readouterr().err
    # the broken file is named once, in the trainer's own words (each data stream used to warn again)
    assert f"training on 2 PSD files in {data.resolve()}" in err and err.count("skipped zz_broken.psd") == 1
    assert not [w for w in caught if "zz_broken" in str(w.message)]
    before = (out / "checkpoint.pt").read_bytes()
    assert main(["train", "--steps", "1", *common]) == 2  # the same --out again, without --resume
    assert "add --resume" in capsys.readouterr().err and (out / "checkpoint.pt").read_bytes() == before

    assert main(["train", "--resume", "--steps", "2", *common]) == 0  # no --data: the run's own PSDs
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["data"] for r in log if "resumed" in r] == [str(data.resolve())]
    assert [r["step"] for r in log if r.get("phase") == "dit"] == [1, 2]
    capsys.readouterr()
    assert main(["train", "--resume", "--data", "corpus", "--steps", "3", *common]) == 2
    assert f"trains on {data.resolve()}" in capsys.readouterr().err
    assert main(["train", "--resume", "--steps", "2", *common]) == 0
    assert "this run has finished (2 transformer steps)" in capsys.readouterr().out
    # its folder moved: resumed with --data at the new place (told the old one is gone), not refused
    data.rename(tmp_path / "moved")
    assert main(["train", "--resume", "--steps", "3", *common]) == 2
    assert "is no longer there: give the folder's new place with --data" in capsys.readouterr().err
    assert main(["train", "--resume", "--data", str(tmp_path / "moved"), "--steps", "3", *common]) == 0
    assert main(["train", "--resume", "--init", str(out / "model"), "--steps", "4", *common]) == 2
    assert "--init starts a new run" in capsys.readouterr().err


def test_a_fine_tune_on_psds_reads_their_words_at_their_scale_and_goes_on_past_a_file_it_cannot_decode(
        tmp_path, capsys, monkeypatch):
    from layerstudio.cli import main
    from layerstudio.document import Box, Document, Layer
    from layerstudio.io.psd import export_psd
    from layerstudio.training import psd_dataset

    base = tmp_path / "base"
    assert Trainer(train_args(base, steps=1, ae_steps=1, planner_steps=1)).run() == 0
    data = tmp_path / "psds"
    data.mkdir()
    shape = np.zeros((160, 160, 4), np.uint8)
    shape[40:120, 40:120] = (20, 20, 220, 255)
    for k in range(3):  # 640 px documents: past the tiny model's canvases
        white = np.full((640, 640, 4), 255, np.uint8)
        export_psd(Document(640, 640, "", [Layer(Box(0, 0, 640, 640), white, name="Hintergrund"),
                                           Layer(Box(160 * k, 160, 160 * k + 160, 320), shape, name="blaues Rechteck")]),
                   data / f"{k}.psd")
    sizes = []
    real = psd_dataset.read_psd_design

    def read(path, *args, **kwargs):
        if Path(path).name == "1.psd":
            raise UserError("cannot decode the layers of 1.psd (ValueError: damaged)")
        design = real(path, *args, **kwargs)
        sizes.append((design.document.width, design.document.height))
        return design

    out = tmp_path / "tuned"
    assert main(["train", "--init", str(base / "model"), "--data", str(data), "--out", str(out), "--device", "cpu",
                 "--ae-steps", "0", "--steps", "2", "--planner-steps", "1", "--batch", "2"]) == 0
    err = capsys.readouterr().err
    assert "3 of them larger than" in err
    monkeypatch.setattr(psd_dataset, "read_psd_design", read)
    assert main(["train", "--resume", "--out", str(out), "--steps", "6", "--device", "cpu"]) == 0
    assert f"skipping {data.resolve() / '1.psd'}: cannot decode" in capsys.readouterr().err
    largest = max(max(c) for c in preset("tiny").canvas_presets)
    assert sizes and all(max(size) <= largest for size in sizes)  # scaled to the model's canvases
    tuned = Pipeline.load(out / "model")
    assert {"hintergrund", "blaues", "rechteck"} <= set(tuned.config.text.spelled)
    # learnt letter by letter, so read when generating (left out as never learnt, the layers were drawn from nothing)
    assert tuned.model.text.tokenizer.learnt_only("a blaues Rechteck") == "a blaues Rechteck"
    assert Pipeline.load(base / "model").model.text.tokenizer.learnt_only("a blaues Rechteck").strip() == "a"


@pytest.mark.parametrize("argv, message", [
    (["--steps", "-3"], "--steps -3: must be 0 or more"),
    (["--ae-steps", "-1"], "--ae-steps -1: must be 0 or more"),
    (["--batch", "0"], "--batch 0: must be 1 or more"),
    (["--lr", "-1"], "--lr -1.0: must be a positive number"),
    (["--lr", "nan"], "--lr nan: must be a positive number"),
    (["--checkpoint-every", "0"], "--checkpoint-every 0: must be 1 or more"),
    (["--time-limit", "0"], "--time-limit 0.0: must be a positive number of minutes"),
])
def test_train_refuses_nonsense_numbers_before_it_makes_anything(argv, message, tmp_path, capsys):
    from layerstudio.cli import main

    assert main(["train", "--preset", "tiny", "--out", str(tmp_path / "run"), *argv]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and message in err, err
    assert list(tmp_path.iterdir()) == []


def test_train_out_below_a_file_is_a_clear_error(tmp_path, capsys):
    from layerstudio.cli import main

    (tmp_path / "afile").write_text("x")
    assert main(["train", "--preset", "tiny", "--out", str(tmp_path / "afile" / "sub")]) == 2
    assert "afile exists and is not a directory" in capsys.readouterr().err


def test_eval_runs_on_tiny(tmp_path, capsys):
    pipe = Pipeline.from_preset("tiny")
    report = evaluate(pipe, count=2, seed=10_000_000, steps=1, sheet=str(tmp_path / "sheet.png"))
    said = capsys.readouterr()  # where it is, on stderr (stdout holds the JSON report)
    assert "eval: held-out design 1 of 2" in said.err and "eval: the fixed checks" in said.err and not said.out
    for key in ("alpha_inside_boxes", "empty_layer_rate", "colour_adherence", "autoencoder_psnr_db",
                "autoencoder_alpha_iou", "autoencoder_psnr_recoloured_db", "decomposition_psnr_db",
                "true_object_shape_iou", "true_text_alpha_iou"):
        assert key in report
    # the metric itself recognises the ground truth's colours
    assert report["colour_adherence_ground_truth"] >= 0.9
    assert 0 <= report["simple_background_colour"] <= 1 and 0 <= report["simple_object_colour"] <= 1
    # one-to-one matches are a subset of layers showing some prompted colour
    assert report["colour_adherence"] <= report["layers_with_a_prompted_colour"] <= 1
    assert 0 <= report["background_colour"] <= 1
    assert report["layers_with_their_true_object"] <= report["layers_with_a_prompt_object"] <= 1
    assert 0 <= report["style_prompts_dealt_nothing"] <= 1
    assert 0 <= report["decomposed_layers_with_their_true_object"] <= 1 and "decomposition_stack_psnr_db" in report
    assert report["background_pattern_iou"] is None or 0 <= report["background_pattern_iou"] <= 1
    assert (report["two_colour_gradient_psnr_db"] is None) == (report["two_colour_gradients"] == 0)
    assert report["autoencoder_psnr_glyphs_db"] > 0
    plain, patterned = report["decomposed_plain_background_psnr_db"], report["decomposed_patterned_background_psnr_db"]
    assert all(db is None or db > 0 for db in (plain, patterned)) and (plain, patterned) != (None, None)
    icons = report["untrained_icons"]
    assert icons["icons"] == 24 and 0 <= icons["empty"] <= 1
    assert (icons["alpha_iou"] is None) == (icons["empty"] == 1) or 0 <= icons["alpha_iou"] <= 1
    assert (tmp_path / "sheet.png").stat().st_size > 1000
    assert report["icons_with_adjectives"]["icons"] == 12
    cuts = report["unknown_word_cuts"]
    assert set(cuts) == {f"{kind}_{key}" for kind in ("as_written", "reworded")
                         for key in ("prompts", "objects", "background")}
    assert 0 <= cuts["reworded_prompts"] <= cuts["as_written_prompts"] <= 2  # tiny reads 16 tokens
    assert all(0 <= v <= 1 for k, v in cuts.items() if not k.endswith("prompts"))


def test_untrained_icons_scores_drawn_silhouettes_and_counts_empty_layers():
    from types import SimpleNamespace

    from layerstudio.document import Box, Document, Layer
    from layerstudio.engine.colours import colour_rgb
    from layerstudio.engine.glyphs import glyph_for
    from layerstudio.training.evaluate import untrained_icons

    def fake(draw):
        def generate(layout):
            box = layout.boxes[0]
            words = layout.prompt.split(" on a plain ")[0]
            name, colour = words.split(" ", 2)[2], colour_rgb(words.split(" ")[1])
            pixels = np.zeros((box.height, box.width, 4), np.uint8)
            if draw:
                pixels[..., :3] = colour
                pixels[..., 3] = (glyph_for(f"a {name}", box.width, box.height, 0) > 0.5) * 255
            background = np.full((layout.height, layout.width, 4), 255, np.uint8)
            return Document(layout.width, layout.height, layout.prompt,
                            [Layer(Box(0, 0, layout.width, layout.height), background), Layer(box, pixels)])
        return SimpleNamespace(config=SimpleNamespace(canvas_presets=[(192, 192)]), generate=generate)

    assert untrained_icons(fake(True)) == {"icons": 24, "empty": 0.0, "alpha_iou": 1.0, "colour_right": 1.0}
    assert untrained_icons(fake(False)) == {"icons": 24, "empty": 1.0, "alpha_iou": None, "colour_right": None}


def test_pattern_followed_compares_a_background_with_the_pattern_asked_for():
    from types import SimpleNamespace

    from layerstudio.document import Layer
    from layerstudio.engine.patterns import names_pattern, pattern_for
    from layerstudio.training.corpus import make_design
    from layerstudio.training.evaluate import pattern_followed

    design = next(d for d in map(make_design, range(10_000_000, 10_000_100)) if names_pattern(d.layer_captions[0]))
    words = design.layer_captions[0]
    pipe = SimpleNamespace(model=SimpleNamespace(planner=SimpleNamespace(background_phrase=lambda prompt: words)))
    truth = design.document.layers[0]
    ground = truth.pixels[design.glyph(0) < 0.5][0]
    second = truth.pixels[design.glyph(0) >= 0.5][0]
    asked = pattern_for(words, truth.box.width, truth.box.height, 5) >= 0.5
    follows = Layer(truth.box, np.where(asked[..., None], second, ground).astype(np.uint8), seed=5)
    plain = Layer(truth.box, np.broadcast_to(ground, truth.pixels.shape).copy(), seed=5)
    assert pattern_followed(pipe, design, follows) == 1.0 and pattern_followed(pipe, design, plain) == 0.0
    elsewhere = Layer(truth.box, follows.pixels, seed=6)  # the pattern of another seed: shifted or turned
    assert pattern_followed(pipe, design, elsewhere) < 0.9


def test_shape_iou_sees_the_shape_not_its_place():
    from PIL import Image, ImageDraw

    from layerstudio.training.evaluate import alpha_iou, shape_iou

    def layer(draw, xy, size=96):
        img = Image.new("L", (size, size), 0)
        getattr(ImageDraw.Draw(img), draw)(xy, fill=255)
        alpha = np.asarray(img)
        return np.dstack([np.full_like(alpha, 200)] * 3 + [alpha])

    circle = layer("ellipse", (10, 10, 50, 50))
    moved_bigger = layer("ellipse", (30, 20, 90, 80))
    triangle = layer("polygon", [(30, 20), (90, 80), (30, 80)])
    assert shape_iou(circle, moved_bigger) > 0.95 > 0.5 > alpha_iou(circle, moved_bigger)
    assert shape_iou(circle, triangle) < 0.75
    empty = layer("ellipse", (0, 0, 0, 0)) * 0
    assert shape_iou(circle, empty) == 0.0 and shape_iou(empty, empty) == 1.0


def test_the_planner_trains_on_some_prompts_about_the_look_alone_and_some_reworded(monkeypatch):
    import random
    import re
    from types import SimpleNamespace

    from layerstudio.document import Box
    from layerstudio.engine.planner import locate
    from layerstudio.engine.text import Tokenizer
    from layerstudio.training import train
    from layerstudio.training.corpus import STYLE_PHRASES, STYLE_WORDS

    seen = {}
    vocab = ["a", "red", "circle", "and", "stars", "on", "white"]

    class Spy:
        tokenizer = Tokenizer(vocab)

        def loss(self, prompts, captions, boxes, sizes):
            seen.update(prompts=prompts, captions=captions)
            return 0.0, {}

    samples = [SimpleNamespace(caption=f"A red circle and {k} stars on white.", width=64, height=64,
                               layer_captions=["white", "a red circle", f"{k} stars"],
                               boxes=[Box(0, 0, 64, 64), Box(0, 0, 16, 16), Box(16, 16, 48, 32)]) for k in range(80)]
    trainer = SimpleNamespace(model=SimpleNamespace(planner=Spy()))
    Trainer.planner_loss(trainer, samples, random.Random(0))
    rebuilt = [k for k, s in enumerate(samples) if seen["captions"][k] and
               not seen["prompts"][k].lower().startswith(("a red circle", "a cute"))]
    assert 0 < len(rebuilt) < len(samples) * 0.6 and all(locate(seen["prompts"][k], seen["captions"][k])
                                                         for k in rebuilt)
    monkeypatch.setattr(train, "PHRASING_RATE", 0.0)  # the rewording alone below
    Trainer.planner_loss(trainer, samples, random.Random(0))
    styled = [k for k, s in enumerate(samples) if seen["captions"][k] == []]
    reworded = [k for k, s in enumerate(samples) if k not in styled and seen["prompts"][k] != s.caption]
    assert 0 < len(styled) < len(samples) / 4 and 0 < len(reworded) < len(samples) * 0.6
    for k, s in enumerate(samples):
        prompt = seen["prompts"][k]
        if k in styled:
            words = set(re.findall(r"[a-z]+", prompt.lower()))
            assert any(p in prompt for p in STYLE_PHRASES) or words & set(STYLE_WORDS)
        else:  # each layer's caption still in the prompt, and only words the vocabulary lacks added
            assert locate(prompt, seen["captions"][k]) is not None
            added = set(re.findall(r"[\w-]+", prompt.lower())) - set(re.findall(r"[\w-]+", s.caption.lower()))
            assert (k in reworded) == bool(added) and not added & set(vocab)
            assert k in reworded or seen["captions"][k] == s.layer_captions


def test_reworded_corpus_prompts_keep_their_layers_and_add_only_unknown_words():
    import random
    import re

    from layerstudio.engine.planner import locate
    from layerstudio.engine.text import Tokenizer
    from layerstudio.training.corpus import make_design
    from layerstudio.training.unknown_words import reword, word_lists

    designs = [make_design(seed, canvas=(64, 64), named_colours=0.5) for seed in range(40)]
    tokenizer = Tokenizer(Tokenizer.build_vocab([d.caption for d in designs]))
    words, held = word_lists(tokenizer.words), word_lists(tokenizer.words, held_out=True)
    in_phrases = {w for entries in words.values() for entry in entries if " " in entry for w in entry.split()}
    assert not {w for ws in words.values() for w in ws} & {w for ws in held.values() for w in ws}
    changed = 0
    for seed, d in enumerate(designs):
        prompt, captions = reword(d.caption, d.layer_captions, words, random.Random(seed), object_rate=1.0)
        assert (prompt, captions) == reword(d.caption, d.layer_captions, words, random.Random(seed), object_rate=1.0)
        assert len(captions) == len(d.layer_captions) and locate(prompt, captions) is not None
        new_words = set(re.findall(r"[\w-]+", prompt.lower())) - set(re.findall(r"[\w-]+", d.caption.lower()))
        # articles fit the words after them; relations ('to the left of') and names ('cowboy hat') take known words
        assert not (new_words - {"a", "an"} - in_phrases) & set(tokenizer.words), new_words
        changed += prompt != d.caption
    assert changed > 30


def test_rephrased_prompts_keep_every_layer_caption_and_say_where_boxes_are():
    import random
    import re

    from layerstudio.document import Box
    from layerstudio.engine.planner import locate
    from layerstudio.training.corpus import make_design
    from layerstudio.training.phrasing import LETTERING_NOUNS, SCENE_NOUNS, place_words, rephrase

    shapes = set()
    for seed in range(60):
        d = make_design(seed, canvas=(128, 96))
        boxes = [layer.box for layer in d.document.layers[1:]]
        prompt, captions = rephrase(d.caption, d.layer_captions, boxes, (128, 96), random.Random(seed))
        assert (prompt, captions) == rephrase(d.caption, d.layer_captions, boxes, (128, 96), random.Random(seed))
        found = locate(prompt, captions)
        assert found is not None and len(captions) == len(d.layer_captions)
        # objects as people write them: articles changed or dropped, the colour left out, lettering on a thing
        for new, old in zip(captions, d.layer_captions):
            added = set(re.findall(r"[\w']+", new.lower())) - set(re.findall(r"[\w']+", old.lower()))
            assert added <= {"a", "an", "the"} | set(LETTERING_NOUNS) | set(SCENE_NOUNS), (new, old)
        assert (found[0] == (0, 0)) == (captions[0] == "")
        shapes.add("sentences" if len(re.findall(r"\. [A-Z]", prompt)) >= len(boxes) > 1 else
                   "no background" if not captions[0] else "other")
    assert shapes == {"sentences", "no background", "other"}
    # places come from where the box is, in thirds of the canvas
    rng = random.Random(0)
    assert all("left" in place_words(Box(0, 0, 30, 30), 120, 90, rng) and
               "top" in place_words(Box(40, 0, 80, 20), 120, 90, rng) or
               "upper" in place_words(Box(0, 0, 30, 30), 120, 90, rng) for _ in range(20))
    assert {place_words(Box(40, 30, 80, 60), 120, 90, rng) for _ in range(30)} <= \
        {"in the middle", "in the centre", "in the center", "centred", "at the centre", "in the middle of the canvas"}
    assert all("bottom" in w or "lower" in w for w in (place_words(Box(90, 70, 120, 90), 120, 90, rng)
                                                       for _ in range(20)))


def test_phrasing_cuts_score_the_planners_cuts_and_dealing_by_place():
    from layerstudio.training.evaluate import held_out, phrasing_cuts

    pipe = Pipeline.from_preset("tiny", seed=0)
    designs = held_out(6, 10_000_000, [(128, 128)])
    report = phrasing_cuts(pipe, designs, 10_000_000)
    assert set(report) == {"prompts", "objects", "background", "boxes_dealt_their_object_with_places",
                           "boxes_dealt_their_object_without_places"}
    assert all(0 <= v <= 1 for k, v in report.items() if k != "prompts")
    pipe.model.planner = None
    assert phrasing_cuts(pipe, designs, 10_000_000) is None


def test_style_prompts_score_what_the_planner_deals():
    import re

    from layerstudio.training.corpus import STYLE_PHRASES, STYLE_WORDS
    from layerstudio.training.evaluate import UNSEEN_STYLE_PROMPTS, style_prompts_dealt_nothing

    # unseen: neither a corpus sentence nor a word the planner's style-only prompts draw from
    assert not set(UNSEEN_STYLE_PROMPTS) & set(STYLE_PHRASES)
    assert not {w.lower() for p in UNSEEN_STYLE_PROMPTS for w in re.findall(r"[A-Za-z]+", p)} & set(STYLE_WORDS)
    pipe = Pipeline.from_preset("tiny")

    class Naming(torch.nn.Module):  # deals the first word of a prompt about shine to every box
        def deal(self, prompt, width, height, boxes, wanted, taken, seed):
            return {i: prompt.split()[0] for i in wanted} if "shine" in prompt else {}

    pipe.model.planner = Naming()
    assert style_prompts_dealt_nothing(pipe) == 0.9
    pipe.model.planner = None
    assert style_prompts_dealt_nothing(pipe) is None


def test_simple_prompts_name_every_colour_as_object_and_background_once():
    from layerstudio.training.corpus import COLOURS
    from layerstudio.training.evaluate import simple_prompts

    prompts = simple_prompts()
    assert sorted(fg for _, fg, _ in prompts) == sorted(COLOURS) == sorted(bg for _, _, bg in prompts)
    assert all(fg != bg and f" {fg} " in p and f"solid {bg} background" in p for p, fg, bg in prompts)


def test_recoloured_designs_keep_boxes_and_alpha_and_change_colours():
    from layerstudio.training.corpus import make_design
    from layerstudio.training.evaluate import recoloured

    design = make_design(10_000_000)
    layers = recoloured(design, seed=3)
    assert [box for box, _ in layers] == [l.box for l in design.document.layers]
    for (_, px), layer in zip(layers, design.document.layers):
        assert np.array_equal(px[..., 3], layer.pixels[..., 3])
    background = design.document.layers[0].pixels
    assert np.abs(layers[0][1][..., :3].astype(int) - background[..., :3]).mean() > 10


def test_colour_matching_uses_the_best_assignment():
    red = np.zeros((8, 8, 4), np.uint8)
    red[...] = (230, 30, 30, 255)
    blue = red.copy()
    blue[..., :3] = (30, 60, 220)
    assert colour_matches([red, blue], ["blue", "red"]) == (2, 2)
    assert colour_matches([red, red], ["blue", "red"]) == (1, 2)
    assert psnr(red, red) == 99.0 and psnr(red, blue) < 20


def test_alpha_in_box_counts_only_the_part_inside():
    from layerstudio.document import Box, Layer
    from layerstudio.training.evaluate import alpha_in_box

    pixels = np.zeros((32, 32, 4), np.uint8)
    pixels[:, :16, 3] = 255  # the left half is opaque
    layer = Layer(Box(-16, 0, 16, 32), pixels)  # hanging off the canvas to the left
    total, inside = alpha_in_box(layer, Box(0, 0, 32, 32))
    assert total == 255 * 32 * 16 and inside == 0.0
    assert alpha_in_box(layer, Box(-16, 0, 16, 32))[1] == total


def test_colour_targets_come_from_the_pixels():
    from layerstudio.training.corpus import COLOURS
    from layerstudio.training.train import colour_targets

    def solid(rgb, alpha=255, size=16):
        return np.dstack([np.full((size, size), v, np.uint8) for v in (*rgb, alpha)])

    names = list(COLOURS)
    layers = [solid(COLOURS["red"]), solid(COLOURS["blue"]), solid(COLOURS["green"], alpha=0), solid(COLOURS["blue"])]
    assert colour_targets(layers) == [names.index("red"), names.index("blue"), -1, names.index("blue")]
    # crimson is a red; sky blue is none of the twelve, and a target of the nearest would pull it toward one
    from layerstudio.engine.colours import colour_names
    named = colour_names()
    assert colour_targets([solid(named["crimson"]), solid(named["sky blue"])]) == [names.index("red"), -1]
    # near the twelve as the eye sees it (CIELAB), though nearest grey in RGB
    assert colour_targets([solid((115, 195, 166))]) == [names.index("teal")]


def test_caption_probe_reads_only_real_tokens():
    import torch

    from layerstudio.training.train import ColourProbe

    torch.manual_seed(0)
    probe = ColourProbe(8, 4, 5)
    text = torch.randn(2, 6, 8)
    mask = torch.tensor([[True] * 3 + [False] * 3] * 2)
    changed = text.clone()
    changed[:, 3:] = torch.randn(2, 3, 8) * 10  # whatever sits in the padding
    for a, b in zip(probe.caption(text, mask), probe.caption(changed, mask)):
        torch.testing.assert_close(a, b)
    changed[:, 0] += 1.0  # a real token does count
    assert not torch.allclose(probe.caption(text, mask)[0], probe.caption(changed, mask)[0])


def test_layer_probe_labels_each_generated_layer_with_its_own_colour(tmp_path, monkeypatch):
    import torch

    from layerstudio.training import train

    trainer = train.Trainer(train_args(tmp_path))
    # two designs: the second has the composite first (given), so its layers sit one slot later
    targets = [[3, 7], [4, 9, 2]]
    layer_given = [[False, True], [True, False, True, False]]
    packed_layer = torch.tensor([[0, 0, 1, 1], [0, 1, 2, 3]])
    generated = torch.tensor([[True, True, False, False], [False, True, False, True]])
    counts = torch.zeros(2, 4).scatter_add_(1, packed_layer, generated.float())
    mid = torch.randn(2, 4, trainer.cfg.transformer.width)
    seen = {}

    def fake_cross_entropy(logits, labels):
        seen["labels"] = labels.tolist()
        seen["rows"] = logits.shape[0]
        return logits.sum() * 0.0

    monkeypatch.setattr(train.F, "cross_entropy", fake_cross_entropy)
    trainer.layer_probe_loss(targets, mid, type("P", (), {"layer": packed_layer})(), generated, counts, layer_given)
    # design 0: layer 0 generated (colour 3); design 1: slots 1 and 3 generated = document layers 0 and 2
    assert seen == {"labels": [3, 4, 2], "rows": 3}


def test_designs_from_the_data_workers_carry_their_own_pixels():
    """Each design's layers travel from the worker as views of one tensor: every view must hold its own layer."""
    from layerstudio.engine.pipeline import to_tensor
    from layerstudio.training.corpus import make_design
    from layerstudio.training.train import DesignStream, batches, to_sample

    design = make_design(5, canvas=(96, 64), max_layers=3)
    sample = to_sample(design)
    assert torch.equal(sample.composite, to_tensor(design.composite))
    assert len(sample.images) == len(design.document.layers) > 1
    for image, layer in zip(sample.images, design.document.layers):
        assert torch.equal(image, to_tensor(layer.pixels))

    canvases = [(64, 64), (96, 64)]
    rendered_here = iter(DesignStream("corpus", 3, 0, canvases))  # the same seeds as the one worker's
    for taken in next(batches("corpus", 3, 0, 3, canvases, workers=1)):
        reference = next(rendered_here)
        assert taken.caption == reference.caption and taken.boxes == reference.boxes
        assert torch.equal(taken.composite, reference.composite)
        assert [i.shape for i in taken.images] == [i.shape for i in reference.images]
        assert all(torch.equal(a, b) for a, b in zip(taken.images, reference.images))


def test_bench_train_times_a_step_at_each_batch(capsys, monkeypatch):
    from layerstudio.cli import main

    seen, dit_loss = [], Trainer.dit_loss
    monkeypatch.setattr(Trainer, "dit_loss",
                        lambda self, samples, rng: seen.append(samples) or dit_loss(self, samples, rng))
    assert main(["bench", "train", "--preset", "tiny", "--batches", "1,2", "--device", "cpu", "--json"]) == 0
    # every step on designs no step has seen, as in training (the same designs again ran 3-10x faster on a GPU)
    designs = [id(d) for samples in seen for d in samples]
    assert len(seen) == 6 and len(set(designs)) == len(designs) == 9
    result = json.loads(capsys.readouterr().out)
    assert result["device"] == "cpu" and [r["batch"] for r in result["rows"]] == [1, 2]
    for row in result["rows"]:
        assert row["seconds_step"] > 0 and row["seconds_decoder_step"] > 0
        assert row["designs_per_second"] == pytest.approx(
            row["batch"] / (row["seconds_step"] + row["seconds_decoder_step"] / 2), rel=0.01, abs=0.01)



def test_bench_train_reports_the_batches_that_fit_and_the_first_that_did_not(capsys, monkeypatch):
    from layerstudio.cli import main

    dit_loss = Trainer.dit_loss

    def short_of_memory(self, samples, rng):
        if len(samples) > 2:
            raise torch.OutOfMemoryError("out of memory")
        return dit_loss(self, samples, rng)

    monkeypatch.setattr(Trainer, "dit_loss", short_of_memory)
    assert main(["bench", "train", "--preset", "tiny", "--batches", "1,2,3,4", "--device", "cpu"]) == 0
    table = capsys.readouterr().out
    assert "out_of_memory: a batch of 3 did not fit in cpu's memory" in table
    assert [line.split()[0] for line in table.splitlines()[1:3]] == ["1", "2"] and " 4 " not in table


@pytest.mark.parametrize("batches", ["x", "4,,8", "0,4", "-1"])
def test_bench_train_refuses_bad_batch_sizes_before_building_anything(batches, capsys, monkeypatch):
    from layerstudio.cli import main

    monkeypatch.setattr(Trainer, "__init__", lambda *a: pytest.fail("built a trainer despite bad --batches"))
    assert main(["bench", "train", "--preset", "tiny", f"--batches={batches}", "--device", "cpu"]) == 2
    assert f"--batches {batches}: expected batch sizes of 1 or more" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["--count", "0"], "--count must be at least 1"),
    (["--steps", "0"], "--steps must be at least 1"),
    (["--sheet", "/no/such/folder/sheet.png"], "folder /no/such/folder does not exist"),
    (["--sheet", "sheet.xyz"], "--sheet sheet.xyz: cannot write '.xyz' images (use .png)"),
    (["--sheet", "sheet"], "--sheet sheet: no file extension (use .png)"),
])
def test_eval_rejects_bad_options_before_it_runs(argv, message, tmp_path, capsys, monkeypatch):
    from layerstudio.cli import main
    from layerstudio.training import evaluate as evaluation

    monkeypatch.setattr(evaluation, "evaluate", lambda *a, **k: pytest.fail("evaluated despite a bad option"))
    assert main(["eval", "--model", str(tmp_path / "absent"), *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_gradient_followed_compares_a_background_with_the_gradient_asked_for():
    from types import SimpleNamespace

    from layerstudio.document import Layer
    from layerstudio.engine.patterns import names_two_colour_gradient, pattern_for
    from layerstudio.training.corpus import make_design
    from layerstudio.training.evaluate import gradient_followed

    design = next(d for d in map(make_design, range(10_000_000, 10_000_100))
                  if names_two_colour_gradient(d.layer_captions[0]))
    words = design.layer_captions[0]
    pipe = SimpleNamespace(model=SimpleNamespace(planner=SimpleNamespace(background_phrase=lambda prompt: words)))
    truth = design.document.layers[0]
    first, second = truth.pixels[design.glyph(0) == 0][0], truth.pixels[design.glyph(0) == 1][0]
    asked = pattern_for(words, truth.box.width, truth.box.height, 5)[..., None]
    follows = Layer(truth.box, np.round(first + asked * (second.astype(float) - first)).astype(np.uint8), seed=5)
    plain = Layer(truth.box, np.broadcast_to(first, truth.pixels.shape).copy(), seed=5)
    assert gradient_followed(pipe, design, follows) > 50 > 30 > gradient_followed(pipe, design, plain)
    elsewhere = Layer(truth.box, follows.pixels, seed=6)  # the gradient of another seed runs another way
    assert gradient_followed(pipe, design, elsewhere) < 30
    stripes = SimpleNamespace(model=SimpleNamespace(planner=SimpleNamespace(background_phrase=lambda p: "red stripes on blue")))
    assert gradient_followed(stripes, design, follows) is None


def test_the_decoder_trains_on_the_layers_glyphs(tmp_path):
    import random

    from layerstudio.training.corpus import make_design
    from layerstudio.training.train import Trainer, to_sample

    args = Namespace(out=str(tmp_path), preset="tiny", data="corpus", steps=0, ae_steps=0, batch=2, lr=3e-3,
                     seed=0, checkpoint_every=100, time_limit=None, resume=False, device="cpu")
    trainer = Trainer(args)
    samples = [to_sample(make_design(s, canvas=(64, 64), max_layers=3)) for s in (1, 2, 3)]
    assert all(g is not None for s in samples for g in s.glyphs[1:])
    loss, _ = trainer.ae_loss(samples, random.Random(0))
    loss.backward()
    assert all(conv.weight.grad.abs().sum() > 0 for conv in trainer.model.autoencoder.decoder.glyph_in)


def test_a_zero_initialised_addition_to_the_init_model_trains_faster(tmp_path):
    """Started from a model without the decoder's glyph input, those new (zero) weights train at ten times the
    rate; the rest, and a fresh but random-initialised part, at the common one."""
    from layerstudio.engine.config import preset
    from layerstudio.engine.model import LayerModel

    old = preset("tiny")
    old.autoencoder.decoder_glyph = False
    LayerModel(old).save(tmp_path / "old")
    args = Namespace(out=str(tmp_path / "run"), preset="tiny", data="corpus", steps=1, ae_steps=0, batch=2, lr=1e-3,
                     seed=0, checkpoint_every=100, time_limit=None, resume=False, device="cpu",
                     init=str(tmp_path / "old"))
    trainer = Trainer(args)
    trainer.enter_transformer_phase()
    glyph_in = {id(p) for p in trainer.model.autoencoder.decoder.glyph_in.parameters()}
    scaled = [g for g in trainer.decoder_optim.param_groups if g["lr_scale"] != 1.0]
    assert len(scaled) == 1 and {id(p) for p in scaled[0]["params"]} == glyph_in and scaled[0]["lr"] == 1e-2
    assert all(g["lr_scale"] == 1.0 for g in trainer.optim.param_groups)


def test_warm_up_ends_by_steps_or_by_a_tenth_of_the_time_limit():
    base = 1e-3
    assert lr_at(0, 4000, base) == pytest.approx(base / 200)
    assert lr_at(99, 4000, base) == pytest.approx(base / 2)
    # a short run with few, slow steps still reaches the full rate once a tenth of its time has passed
    assert lr_at(20, 4000, base, time_fraction=0.05) == pytest.approx(base / 2)
    assert lr_at(20, 4000, base, time_fraction=0.1) > 0.95 * base
    # then decays to a tenth by the end of the time limit
    assert lr_at(150, 4000, base, time_fraction=1.0) == pytest.approx(base / 10)
    assert lr_at(150, 4000, base, time_fraction=0.5) < lr_at(150, 4000, base, time_fraction=0.2)


def test_recomputed_blocks_give_the_same_loss_and_gradients(tmp_path):
    """On GPUs the trainer recomputes block activations in the backward pass instead of keeping them."""
    import random

    from layerstudio.training.train import DesignStream

    trainer = Trainer(train_args(tmp_path, steps=1, ae_steps=0))
    trainer.enter_transformer_phase()
    stream = iter(DesignStream("corpus", 3, 0, trainer.cfg.canvas_presets))
    samples = [next(stream) for _ in range(2)]
    parts = (trainer.model.transformer, trainer.model.autoencoder.decoder)

    def loss_and_grads(recompute: bool):
        for part in parts:
            part.recompute = recompute
        trainer.model.zero_grad(set_to_none=True)
        saved = []  # what the forward pass keeps for the backward one
        with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t.numel()) or t, lambda t: t):
            torch.manual_seed(0)
            transformer_loss, _ = trainer.dit_loss(samples, random.Random(0))
            torch.manual_seed(0)
            decoder_loss, _ = trainer.ae_loss(samples, random.Random(0))
        (transformer_loss + decoder_loss).backward()
        return transformer_loss + decoder_loss, sum(saved), {
            n: p.grad.clone() for n, p in trainer.model.named_parameters() if p.grad is not None}

    kept_loss, kept_saved, kept = loss_and_grads(False)
    recomputed_loss, recomputed_saved, recomputed = loss_and_grads(True)
    assert recomputed_saved < 0.8 * kept_saved
    assert torch.allclose(kept_loss, recomputed_loss)
    assert kept.keys() == recomputed.keys() and any(".blocks." in n for n in kept)
    for name, grad in kept.items():
        assert torch.allclose(grad, recomputed[name], atol=1e-6), name


def test_a_resumed_run_keeps_its_own_steps_batch_lr_and_seed(tmp_path):
    assert Trainer(train_args(tmp_path, steps=1, ae_steps=1, planner_steps=1, batch=3, lr=2e-3, seed=5)).run() == 0
    unset = dict(steps=None, ae_steps=None, planner_steps=None, batch=None, lr=None, seed=None, resume=True)
    resumed = Trainer(train_args(tmp_path, **unset))
    assert (resumed.dit_steps, resumed.ae_steps, resumed.planner_steps, resumed.batch, resumed.lr,
            resumed.args.seed) == (1, 1, 1, 3, 2e-3, 5)
    told = Trainer(train_args(tmp_path, **{**unset, "steps": 3, "lr": 1e-3}))  # what is given wins
    assert (told.dit_steps, told.batch, told.lr) == (3, 3, 1e-3)
    # a checkpoint from before the settings were recorded resumes with the defaults, as it did
    ckpt = torch.load(tmp_path / "checkpoint.pt", weights_only=False)
    del ckpt["settings"]
    torch.save(ckpt, tmp_path / "checkpoint.pt")
    old = Trainer(train_args(tmp_path, **unset))
    assert (old.dit_steps, old.batch, old.args.seed) == (4000, 2, 0)


def test_init_trains_the_init_models_architecture_and_refuses_one_that_does_not_fit(tmp_path, capsys):
    from layerstudio.cli import main

    assert Trainer(train_args(tmp_path / "tiny", steps=0, ae_steps=0, planner_steps=1)).run() == 0
    init = str(tmp_path / "tiny" / "model")
    no_preset = Trainer(train_args(tmp_path / "a", preset=None, init=init, ae_steps=0, steps=0))
    assert no_preset.cfg.name == "tiny" and not no_preset.init_report["fresh"]
    assert main(["train", "--preset", "default", "--init", init, "--ae-steps", "0", "--steps", "0",
                 "--out", str(tmp_path / "b"), "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert "is a 'tiny' model" in err and "fit the 'default' preset; leave out --preset" in err
    assert not (tmp_path / "b").exists()


def test_a_full_disk_stops_training_with_a_message_and_keeps_the_last_checkpoint(tmp_path, capsys, monkeypatch):
    import errno

    from layerstudio.cli import main

    out = tmp_path / "run"
    common = ["--preset", "tiny", "--out", str(out), "--device", "cpu", "--ae-steps", "1", "--planner-steps", "0"]
    assert main(["train", "--steps", "1", *common]) == 0
    assert f"model saved in {out / 'model'}" in capsys.readouterr().err
    before = (out / "checkpoint.pt").read_bytes()

    def full(obj, f):
        f.write(b"half a checkpoint")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", full)
    assert main(["train", "--resume", "--steps", "3", *common]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "the disk is full; the last checkpoint is kept: add --resume" in err, err
    assert (out / "checkpoint.pt").read_bytes() == before and not (out / "checkpoint.pt.tmp").exists()


def test_a_read_only_out_is_a_clear_error(tmp_path, capsys, monkeypatch):
    import errno
    from pathlib import Path

    from layerstudio.cli import main

    def refused(self, *a, **k):
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", refused)
    assert main(["train", "--preset", "tiny", "--out", str(tmp_path / "run"), "--device", "cpu"]) == 2
    assert f"cannot write to {tmp_path}: permission denied" in capsys.readouterr().err


@pytest.mark.parametrize("stop", ["ctrl-c", "SIGTERM"])
def test_ctrl_c_saves_the_steps_made_since_the_last_checkpoint(tmp_path, capsys, monkeypatch, stop):
    """A run stopped by Ctrl-C, or by SIGTERM (a job manager, `timeout`: those steps were lost), keeps its steps."""
    import signal

    from layerstudio.cli import main

    real = Trainer.dit_loss

    def interrupted_at_step_2(self, samples, rng):
        if self.state["dit_step"] == 2:
            if stop == "ctrl-c":
                raise KeyboardInterrupt
            os.kill(os.getpid(), signal.SIGTERM)
        return real(self, samples, rng)

    monkeypatch.setattr(Trainer, "dit_loss", interrupted_at_step_2)
    out = tmp_path / "run"
    handler = signal.getsignal(signal.SIGTERM)
    assert main(["train", "--preset", "tiny", "--out", str(out), "--device", "cpu", "--ae-steps", "1",
                 "--steps", "5", "--checkpoint-every", "100"]) == 130
    assert "interrupted: saving the checkpoint (phase dit, step 2)" in capsys.readouterr().err
    assert torch.load(out / "checkpoint.pt", weights_only=False)["state"]["dit_step"] == 2
    assert signal.getsignal(signal.SIGTERM) == handler  # as it was, after the run