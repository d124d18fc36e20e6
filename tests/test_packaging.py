"""A non-editable install (a built wheel) finds its configs and experiments."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# no training, but it builds a wheel and installs it into a fresh venv
pytestmark = pytest.mark.slow


def test_wheel_install_runs_without_the_checkout(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(ROOT), "-w", str(wheels)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("threshold_sweep-*.whl")
    members = zipfile.ZipFile(wheel).namelist()
    templates = {
        p.name for p in (ROOT / "src" / "threshold_sweep" / "report" / "templates").glob("*.j2")
    }
    assert templates and {f"threshold_sweep/report/templates/{name}" for name in templates} <= set(
        members
    )
    # every config file ships, launcher configs included (data files: <name>.data/data/share/...)
    shipped = {
        m.split("/share/threshold-sweep/configs/", 1)[1] for m in members if "/configs/" in m
    }
    configs = {str(p.relative_to(ROOT / "configs")) for p in (ROOT / "configs").rglob("*.yaml")}
    experiments = {f"experiment/{p.name}" for p in (ROOT / "experiments").glob("*.yaml")}
    assert "hydra/launcher/local_parallel.yaml" in configs
    assert configs | experiments == shipped
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    site = next((env_dir / "lib").glob("python3*/site-packages"))
    # dependencies come from this interpreter's site-packages, after the wheel's own files
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(env_dir / "bin" / "python"),
            "install",
            "-q",
            "--no-deps",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    done = subprocess.run(
        [str(env_dir / "bin" / "threshold-sweep"), "+experiment=seed_thresholds", "--cfg", "all"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    # the installed experiment's sweep, and the installed label and sampling groups
    assert "label.threshold: 100,1000" in done.stdout
    assert "threshold: null" in done.stdout and "strategy: undersample" in done.stdout
    imported = subprocess.run(
        [
            str(env_dir / "bin" / "python"),
            "-c",
            "import threshold_sweep, sys; print(threshold_sweep.__file__)\n"
            "from threshold_sweep.report.html import environment\n"
            "for name in ('run.html.j2', 'index.html.j2'): environment().get_template(name)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(env_dir) in imported.stdout
