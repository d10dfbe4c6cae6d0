"""Reports of a real sweep: Markdown and self-contained HTML (validated, images decoded),
REPORT.json rebuilt with numpy alone, replay round trip, and the bad inputs of
``report`` / ``replay`` / ``verify --out`` each one line on stderr with exit 2."""

from __future__ import annotations

import base64
import json
import shutil
import struct
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from resproof import cli, sweep
from resproof.report import records as rec
from resproof.report import write_report

PNG = b"\x89PNG\r\n\x1a\n"
VOID = {"meta", "img", "br", "hr", "link", "input"}


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A control's sweep with a certified counterexample (resnest.thm1:narrow)."""
    out = tmp_path_factory.mktemp("sweep")
    outcomes, _ = sweep.run([("resnest.thm1", "narrow"), ("resnest.thm1", None)], trials=4,
                            seed=0, out=out)
    assert outcomes[0].verdict.value == "refuted"
    assert outcomes[0].certified
    write_report(out)
    write_report(out, html=True)
    return out


def _report_json(swept: Path) -> Path:
    (path,) = (swept / "counterexamples").glob("resnest.thm1__narrow__*/REPORT.json")
    return path


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.images: list[str] = []
        self.headings: list[str] = []
        self._in_heading = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "img":
            self.images.append(dict(attrs)["src"])
        elif tag not in VOID:
            self.stack.append(tag)
        self._in_heading = tag in ("h1", "h2", "h3")

    def handle_endtag(self, tag: str) -> None:
        assert self.stack, tag
        assert self.stack[-1] == tag, (tag, self.stack[-3:])
        self.stack.pop()
        self._in_heading = False

    def handle_data(self, data: str) -> None:
        if self._in_heading:
            self.headings.append(data)


def test_html_report_is_well_formed_with_embedded_pngs(swept: Path) -> None:
    text = (swept / "report.html").read_text()
    assert text.startswith("<!DOCTYPE html>")
    checker = _Checker()
    checker.feed(text)
    checker.close()
    assert checker.stack == []  # every element closed, in order
    assert "src=\"http" not in text
    assert "<script" not in text
    assert any("Counterexample" in h for h in checker.headings)
    assert len(checker.images) == 5  # 2 margin plots, spectrum, 1-D and 2-D slices
    for src in checker.images:
        head, data = src.split(",", 1)
        assert head == "data:image/png;base64"
        png = base64.b64decode(data, validate=True)
        assert png[:8] == PNG
        assert png[12:16] == b"IHDR"
        width, height = struct.unpack(">II", png[16:24])
        assert 100 < width < 2000
        assert 100 < height < 2000


def test_markdown_report_says_what_a_reader_needs(swept: Path) -> None:
    text = (swept / "report.md").read_text()
    for needed in ("Control of resnest.thm1: A3 broken", "Expected refuted; verdict **refuted** "
                   "(certified)", "| holds | refuted | vacuous | inconclusive |",
                   "| A3 |", "Certificate",
                   "Hessian spectrum", "resproof replay counterexamples/"):
        assert needed in text, needed
    for image in (swept / "report_files").iterdir():
        assert image.read_bytes()[:8] == PNG
        assert f"report_files/{image.name}" in text


def test_report_json_instance_rebuilt_with_numpy_alone(swept: Path) -> None:
    path = _report_json(swept)
    code = (
        "import json, sys, numpy as np\n"
        "doc = json.load(open(sys.argv[1]))\n"
        "inst = doc['instance']\n"
        "f = np.load(sys.argv[1].rsplit('/', 1)[0] + '/' + inst['npz'], allow_pickle=False)\n"
        "sizes = [int(np.prod(s)) for _, s in inst['model']['theta_layout']]\n"
        "assert f['theta'].size == sum(sizes), (f['theta'].size, sizes)\n"
        "assert f['X'].shape == (inst['model']['sizes']['N'], inst['model']['sizes']['N_in'])\n"
        "assert 'resproof' not in sys.modules\n"
        "print(doc['format_version'], doc['verdict'])\n")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, check=True, cwd="/")
    assert done.stdout.split() == ["1", "refuted"]


def test_replay_reproduces_and_detects_a_changed_record(swept: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture) -> None:
    path = _report_json(swept)
    assert cli.main(["replay", str(path)]) == 0
    assert capsys.readouterr().out.startswith("reproduced: resnest.thm1:narrow refuted")
    copy = tmp_path / "changed"
    shutil.copytree(path.parent, copy)
    doc = json.loads((copy / "REPORT.json").read_text())
    doc["margin"] = doc["margin"] * 1.01  # outside the recorded tolerance
    (copy / "REPORT.json").write_text(json.dumps(doc))
    assert cli.main(["replay", str(copy / "REPORT.json")]) == 1
    assert "NOT reproduced" in capsys.readouterr().out


def _one_line_usage_error(argv: list[str], capsys: pytest.CaptureFixture, field: str) -> None:
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("resproof: error: ")
    assert field in lines[0]
    assert "Traceback" not in captured.err


def test_report_of_a_missing_directory(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _one_line_usage_error(["report", str(tmp_path / "missing")], capsys, "DIR")


def test_report_with_a_corrupt_line_in_the_middle(swept: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture) -> None:
    copy = tmp_path / "corrupt"
    shutil.copytree(swept, copy)
    lines = (copy / rec.RESULTS).read_text().splitlines(keepends=True)
    lines[2] = lines[2][: len(lines[2]) // 2] + "\n"
    (copy / rec.RESULTS).write_text("".join(lines))
    _one_line_usage_error(["report", str(copy)], capsys, "line 3")
    _one_line_usage_error(["verify", "resnest.thm1:narrow", "resnest.thm1", "--trials", "4",
                           "--out", str(copy), "--resume"], capsys, "line 3")


def test_report_with_an_unknown_claim_in_a_record(swept: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture) -> None:
    copy = tmp_path / "unknown"
    shutil.copytree(swept, copy)
    lines = (copy / rec.RESULTS).read_text().splitlines(keepends=True)
    record = json.loads(lines[1])
    record["claim"] = "resnest.thm9"
    lines[1] = json.dumps(record) + "\n"
    (copy / rec.RESULTS).write_text("".join(lines))
    _one_line_usage_error(["report", str(copy)], capsys, "resnest.thm9")


def test_replay_of_another_format_version(swept: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture) -> None:
    doc = json.loads(_report_json(swept).read_text())
    doc["format_version"] = 2
    (tmp_path / "REPORT.json").write_text(json.dumps(doc))
    _one_line_usage_error(["replay", str(tmp_path / "REPORT.json")], capsys, "format_version")


def test_verify_with_zero_workers(capsys: pytest.CaptureFixture) -> None:
    _one_line_usage_error(["verify", "resnest.thm1", "--workers", "0"], capsys, "--workers")


def test_verify_with_an_unreachable_scheduler(capsys: pytest.CaptureFixture) -> None:
    _one_line_usage_error(["verify", "resnest.thm1", "--trials", "1", "--scheduler",
                           "tcp://127.0.0.1:9"], capsys, "--scheduler")


@pytest.mark.browser
def test_html_report_renders_in_headless_chromium(swept: Path, tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    shot = tmp_path / "report.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                    "--hide-scrollbars", "--window-size=1200,2400",
                    f"--screenshot={shot}", (swept / "report.html").as_uri()],
                   capture_output=True, timeout=120, check=True)
    png = shot.read_bytes()
    assert png[:8] == PNG
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1200, 2400)
    import numpy as np
    from matplotlib.image import imread

    pixels = imread(shot)
    assert np.std(pixels[..., :3]) > 0.05  # text and plots drawn, not a blank page
