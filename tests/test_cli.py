import subprocess
import sys

import pytest

from layerstudio.cli import build_parser, main


def test_help_lists_every_subcommand(capsys):
    try:
        main(["--help"])
    except SystemExit as exc:
        assert exc.code == 0
    out = capsys.readouterr().out
    for name in ("gui", "generate", "regenerate", "decompose", "train", "eval", "bench", "info"):
        assert name in out


def test_every_subcommand_has_help():
    parser = build_parser()
    for name in ("gui", "generate", "regenerate", "decompose", "train", "eval", "bench", "info"):
        try:
            parser.parse_args([name, "--help"])
        except SystemExit as exc:
            assert exc.code == 0


def test_info_reports_versions_device_and_model():
    out = subprocess.run([sys.executable, "-m", "layerstudio", "info"], capture_output=True, text=True, check=True).stdout
    assert "layerstudio 0.1.0" in out
    assert "torch" in out and "device      cpu" in out
    assert "models/default" in out and " MB)" in out


def test_info_says_when_model_is_not_a_model_folder(tmp_path, capsys):
    from layerstudio.cli import main

    (tmp_path / "a.psd").write_bytes(b"x" * 1000)
    assert main(["info", "--model", str(tmp_path)]) == 0
    assert "not a model folder: no config.json or model.safetensors" in capsys.readouterr().out


@pytest.mark.parametrize("argv, file, model", [
    ([], None, None),
    (["design.lsproj"], "design.lsproj", None),
    (["--model", "runs/mine/model"], None, "runs/mine/model"),
    (["gui", "poster.psd"], "poster.psd", None),
])
def test_a_file_or_engine_option_alone_opens_the_app(argv, file, model, monkeypatch):
    from layerstudio.app import launch
    from layerstudio.cli import main

    opened = []
    monkeypatch.setattr(launch, "run_gui", lambda args: opened.append((args.file, args.model)) or 0)
    assert main(argv) == 0 and opened == [(file, model)]


def test_a_mistyped_command_is_an_error(capsys):
    from layerstudio.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["generat", "--prompt", "x"])
    assert exit_.value.code == 2 and "invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize("device", ["foo", "cuda:abc"])
def test_info_with_a_bad_device_prints_only_the_error(device, capsys):
    assert main(["info", "--device", device]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1 and device in captured.err
