"""The report as a browser shows it: headless Chromium loads the page, its plots decode, the screenshot has content."""

import re
import shutil
import subprocess

import numpy as np
import pytest

from pharmakon.report import build_report

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
         "--virtual-time-budget=5000")


@pytest.fixture
def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.skip("chromium not installed: apt-get install chromium")
    return found


def browse(chromium: str, tmp_path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    profile.mkdir()
    return subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                          timeout=60, check=True)


@pytest.mark.parametrize("fixture", ["run_dir", "swept_run_dir"])
def test_plots_load_in_chromium(chromium, tmp_path, request, fixture):
    report = build_report(request.getfixturevalue(fixture))
    dom = browse(chromium, tmp_path, "--dump-dom", report.as_uri()).stdout
    loaded = re.search(r'data-plots-loaded="(\d+)"', dom)
    total = re.search(r'data-plots-total="(\d+)"', dom)
    assert loaded and total, "the page's load script did not run"
    assert int(loaded[1]) == int(total[1]) > 0


def test_screenshot_is_not_blank(chromium, tmp_path, run_dir):
    image = pytest.importorskip("matplotlib.image")
    report = build_report(run_dir)
    shot = tmp_path / "report.png"
    browse(chromium, tmp_path, f"--screenshot={shot}", "--window-size=1200,2000", report.as_uri())
    pixels = np.asarray(image.imread(shot), dtype=float)
    assert pixels.shape[:2] == (2000, 1200)
    assert pixels[..., :3].std() > 0
