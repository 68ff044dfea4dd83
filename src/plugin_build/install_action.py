"""The GitHub Action's install: a virtual environment with plugin-build's locked wheels.

Run by path, before plugin-build is importable, with the standard library only:

    python -I install_action.py install VENV   # the action's install step
    python install_action.py lock              # rewrite action.lock (the one refresh command)

``action.lock`` (beside this file) holds one section per interpreter and platform
(``[cp312-linux-x86_64]``), one line per wheel: ``name @ URL --hash=sha256:…``, the
exact closure pip resolves for that target. Installing it is fast and reproducible:

* no index is read — pip's slow part is parsing each project's page (cramjam's lists
  thousands of files); with direct URLs it only downloads and checks hashes;
* nothing is built — the action's own source is put on the path with a ``.pth`` file
  instead of building a wheel with the build backend;
* actions-toolkit comes without its dependencies (PyGithub, requests, cryptography…):
  the action only uses its ``command`` and ``file_command`` modules, which need the
  standard library alone.

``uv`` is used where the runner has it, else the runner's pip. Where the lock does not
cover the interpreter, or a URL cannot be reached, a normal index install is the fallback.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

LOCK = Path(__file__).with_name("action.lock")
FALLBACK = "fallback"
NO_DEPS = ("actions-toolkit",)  # installed without what they depend on (see above)

# The environments the lock covers: GitHub's runners (ubuntu 22.04+, macos-13 x86_64,
# macos-14+ arm64, windows) for every supported CPython. Tags oldest-compatible first.
PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")
_LINUX = [f"manylinux_2_{minor}" for minor in range(28, 16, -1)] + ["manylinux2014", "manylinux1"]
PLATFORMS: dict[str, list[str]] = {
    "linux-x86_64": [f"{tag}_x86_64" for tag in _LINUX],
    "linux-arm64": [f"{tag}_aarch64" for tag in _LINUX if tag != "manylinux1"],
    "macos-arm64": [
        f"macosx_{major}_0_{arch}"
        for major in range(14, 10, -1)
        for arch in ("arm64", "universal2")
    ],
    "macos-x86_64": [
        f"macosx_{version}_{arch}"
        for version in ("13_0", "12_0", "11_0", "10_15", "10_14", "10_13", "10_12", "10_9")
        for arch in ("x86_64", "universal2")
    ],
    "windows-x86_64": ["win_amd64"],
}


def environment_key() -> str | None:
    """``cp312-linux-x86_64`` for this interpreter, or None for one the lock cannot cover."""
    if sys.implementation.name != "cpython":
        return None
    system = {"linux": "linux", "darwin": "macos", "win32": "windows"}.get(sys.platform)
    machine = platform.machine().lower()
    arch = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(
        machine
    )
    if system is None or arch is None:
        return None
    return f"cp{sys.version_info.major}{sys.version_info.minor}-{system}-{arch}"


def read_lock(text: str) -> dict[str, list[str]]:
    """``[section]`` → its requirement lines (comments and blank lines dropped)."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
        elif current is not None:
            current.append(line)
    return sections


def _site_packages(python: Path) -> Path:
    out = subprocess.run(
        [str(python), "-I", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(out.stdout.strip())


def venv_python(directory: Path) -> Path:
    windows = directory / "Scripts" / "python.exe"
    return windows if windows.exists() else directory / "bin" / "python"


def _runner_has_pip() -> bool:
    probe = [sys.executable, "-I", "-m", "pip", "--version"]
    return subprocess.run(probe, capture_output=True, check=False).returncode == 0


def _run(command: list[str]) -> bool:
    print("plugin-build install:", " ".join(command[:6]), "…", flush=True)
    return subprocess.run(command, check=False).returncode == 0


def install(target: Path, *, source: Path, lock: Path = LOCK) -> str:
    """Create the venv ``target`` with plugin-build's dependencies and ``source`` on its
    path; return how ("locked (uv)", "locked (pip)" or "index (pip)")."""
    # The runner's pip fills a pip-less venv (fast); without one, the venv gets its own.
    runner_pip = _runner_has_pip()
    venv.EnvBuilder(with_pip=not runner_pip, clear=True, symlinks=os.name != "nt").create(target)
    python = venv_python(target)
    site = _site_packages(python)
    pip_python = sys.executable if runner_pip else str(python)

    def pip(*args: str) -> list[str]:
        return [pip_python, "-I", "-m", "pip", *args, "--disable-pip-version-check", "-q"]

    (site / "plugin_build.pth").write_text(f"{source}\n", encoding="utf-8")
    sections = read_lock(lock.read_text(encoding="utf-8"))
    key = environment_key()
    lines = sections.get(key or "", [])
    with tempfile.TemporaryDirectory(prefix="plugin-build-lock-") as temp:
        if lines:
            requirements = Path(temp) / "requirements.txt"
            requirements.write_text("\n".join(lines) + "\n", encoding="utf-8")
            uv = shutil.which("uv")
            flags = ["--no-deps", "--require-hashes", "-r", str(requirements)]
            if uv is not None and _run(
                [uv, "pip", "install", "--quiet", "--python", str(python), *flags]
            ):
                return "locked (uv)"
            if _run(
                pip(
                    "install",
                    "--no-compile",
                    "--only-binary",
                    ":all:",
                    "--target",
                    str(site),
                    "--upgrade",
                    *flags,
                )
            ):
                return "locked (pip)"
            print(
                "plugin-build install: the locked wheels could not be installed; "
                "installing from the package index instead",
                flush=True,
            )
        fallback = [line for line in sections.get(FALLBACK, []) if not _no_deps(line)]
        no_deps = [line for line in sections.get(FALLBACK, []) if _no_deps(line)]
        if not _run(pip("install", "--target", str(site), "--upgrade", *fallback)):
            raise SystemExit("plugin-build install: installing the dependencies failed")
        if no_deps and not _run(
            pip("install", "--target", str(site), "--upgrade", "--no-deps", *no_deps)
        ):
            raise SystemExit("plugin-build install: installing actions-toolkit failed")
    return "index (pip)"


def _no_deps(line: str) -> bool:
    return any(line.startswith((name + "=", name + " ", name + "@")) for name in NO_DEPS)


# -- refreshing the lock ----------------------------------------------------------------


def _requirements(python_version: str) -> tuple[list[str], list[str]]:
    """pyproject's runtime dependencies that apply to ``python_version`` (markers
    evaluated for it), and the actions-toolkit requirement of the action extra."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - the lock is refreshed on a developer's machine
        import tomli as tomllib

    from packaging.requirements import Requirement

    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"]
    environment = {"python_version": python_version, "python_full_version": python_version + ".0"}
    runtime = []
    for spec in project["dependencies"]:
        requirement = Requirement(spec)
        if requirement.marker is None or requirement.marker.evaluate(environment):
            requirement.marker = None
            runtime.append(str(requirement))
    return runtime, list(project["optional-dependencies"]["action"])


def _resolve(specs: list[str], python_version: str, tags: list[str], *, deps: bool) -> list[str]:
    """What pip would install for that interpreter and platform, as locked lines."""
    with tempfile.TemporaryDirectory() as temp:
        report = Path(temp) / "report.json"
        command = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--ignore-installed",
            "--quiet",
            "--only-binary",
            ":all:",
            "--implementation",
            "cp",
            "--python-version",
            python_version,
            "--target",
            str(Path(temp) / "t"),
            "--index-url",
            "https://pypi.org/simple",
            "--report",
            str(report),
        ]
        command += [arg for tag in tags for arg in ("--platform", tag)]
        command += [] if deps else ["--no-deps"]
        # A clean pip: no local configuration, mirrors or constraints of this machine.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
        env["PIP_CONFIG_FILE"] = os.devnull
        subprocess.run([*command, *specs], check=True, env=env)
        installed = json.loads(report.read_text())["install"]
    lines = []
    for item in installed:
        name = item["metadata"]["name"].lower().replace("_", "-")
        info = item["download_info"]
        digest = info["archive_info"]["hashes"]["sha256"]
        lines.append(f"{name} @ {info['url']} --hash=sha256:{digest}")
    return lines


def refresh(lock: Path = LOCK) -> None:
    out = [
        "# plugin-build action: the wheels its install step uses, per interpreter and",
        "# platform, with their SHA-256. Rewrite it with:",
        "#     python src/plugin_build/install_action.py lock",
        "",
    ]
    fallback: dict[str, list[str]] = {}  # name==version -> the Pythons it is for
    for python_version in PYTHONS:
        runtime, action = _requirements(python_version)
        for platform_name, tags in PLATFORMS.items():
            key = f"cp{python_version.replace('.', '')}-{platform_name}"
            lines = _resolve(runtime, python_version, tags, deps=True)
            lines += _resolve(action, python_version, tags, deps=False)
            out += [f"[{key}]", *sorted(lines), ""]
            for line in lines:
                name, _, url = line.partition(" @ ")
                version = url.split("/")[-1].split("-")[1]
                pythons = fallback.setdefault(f"{name}=={version}", [])
                if python_version not in pythons:
                    pythons.append(python_version)
    out += [f"[{FALLBACK}]"]
    for spec, pythons in sorted(fallback.items()):
        marker = " or ".join(f'python_version == "{v}"' for v in pythons)
        out.append(spec if pythons == list(PYTHONS) else f"{spec} ; {marker}")
    lock.write_text("\n".join(out) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "install":
        how = install(Path(argv[1]), source=Path(__file__).resolve().parents[1])
        print(f"plugin-build install: {how} into {argv[1]}")
        return 0
    if argv == ["lock"]:
        refresh()
        return 0
    print("usage: install_action.py install VENV | lock", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
