"""`.venv-rasa`: Python 3.10 with rasa==3.6.21, installed against rasa/constraints.txt.

Rasa 3.6 needs Python < 3.11 and pins old aiohttp, SQLAlchemy and TensorFlow, so it lives in
its own virtual environment and the bot only talks to it over HTTP.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from bot.rasa_tools.export import RASA_VERSION, ROOT
from bot.rasa_tools.process import VAR, Progress, RasaToolError, exclusive, run_logged

VENV = ROOT / ".venv-rasa"
CONSTRAINTS = ROOT / "rasa" / "constraints.txt"
PIP_VERSION = "24.0"
_STAMP = VENV / ".lotse-installed"


def _is_python310(executable: str, env: dict[str, str] | None = None) -> bool:
    try:
        result = subprocess.run(
            [executable, "-c", "import sys; print(sys.version_info[:2] == (3, 10))"],
            capture_output=True,
            text=True,
            timeout=30,
            env=env,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0 and result.stdout.strip() == "True"


def find_python310() -> tuple[str, dict[str, str]]:
    """A Python 3.10 interpreter and the environment to run it with.

    Looks at $LOTSE_PYTHON310, then pyenv's 3.10 versions (the pyenv shim needs PYENV_VERSION),
    then python3.10 on the PATH and in the usual system places.

    Raises:
        RasaToolError: none found; the message says how to get one.
    """
    env = dict(os.environ)
    candidates: list[tuple[str, dict[str, str]]] = []
    if os.environ.get("LOTSE_PYTHON310"):
        candidates.append((os.environ["LOTSE_PYTHON310"], env))
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    for version_dir in sorted((pyenv_root / "versions").glob("3.10.*"), reverse=True):
        candidates.append((str(version_dir / "bin" / "python3.10"), env))
        candidates.append((str(version_dir / "bin" / "python3.10"), {**env, "PYENV_VERSION": version_dir.name}))
    on_path = shutil.which("python3.10")
    if on_path:
        candidates.append((on_path, env))
        candidates += [
            (on_path, {**env, "PYENV_VERSION": d.name}) for d in sorted((pyenv_root / "versions").glob("3.10.*"))
        ]
    candidates += [(p, env) for p in ("/usr/bin/python3.10", "/usr/local/bin/python3.10")]
    for executable, run_env in candidates:
        if Path(executable).exists() and _is_python310(executable, run_env):
            return executable, run_env
    raise RasaToolError(
        "Rasa 3.6 needs Python 3.10, and none was found: install it (pyenv install 3.10, or "
        "apt-get install python3.10 python3.10-venv) or set LOTSE_PYTHON310 to its path"
    )


def _wanted_stamp() -> str:
    constraints = CONSTRAINTS.read_bytes() if CONSTRAINTS.exists() else b""
    return f"rasa=={RASA_VERSION} pip=={PIP_VERSION} constraints={hashlib.sha256(constraints).hexdigest()[:16]}\n"


def rasa_executable() -> Path:
    return VENV / "bin" / "rasa"


def is_installed() -> bool:
    return rasa_executable().exists() and _STAMP.exists() and _STAMP.read_text() == _wanted_stamp()


def ensure_venv(progress: Progress, freeze: bool = False) -> Path:
    """Create .venv-rasa and install Rasa unless the same install is already there.

    Args:
        progress: prints a line for the person waiting (a first install takes ~3 minutes, 2.7 GB).
        freeze: write rasa/constraints.txt from what got installed (to update the pins).

    Returns:
        The `rasa` executable.
    """
    if is_installed() and not freeze:
        return rasa_executable()
    with exclusive("setup", progress, f"installing rasa into {VENV.name}"):
        if is_installed() and not freeze:
            return rasa_executable()
        return _install(progress, freeze)


def _install(progress: Progress, freeze: bool) -> Path:
    python = VENV / "bin" / "python"
    if not (python.exists() and _is_python310(str(python))):
        interpreter, env = find_python310()
        shutil.rmtree(VENV, ignore_errors=True)
        progress(f"creating {VENV.name} with {interpreter}")
        subprocess.run([interpreter, "-m", "venv", str(VENV)], check=True, env=env)
    log = VAR / "logs" / "setup.log"
    pip: list[str | Path] = [python, "-m", "pip", "install", "--progress-bar", "off"]
    run_logged([*pip, f"pip=={PIP_VERSION}"], log, progress, what="pip")
    constraints: list[str | Path] = ["-c", CONSTRAINTS] if CONSTRAINTS.exists() and not freeze else []
    progress(f"installing rasa=={RASA_VERSION} into {VENV.name} (first time: about 3 minutes, 2.7 GB; log: {log})")
    seconds = run_logged(
        [*pip, f"rasa=={RASA_VERSION}", *constraints], log, progress, what="installing rasa", heartbeat=30
    )
    if freeze:
        frozen = subprocess.run([python, "-m", "pip", "freeze"], check=True, capture_output=True, text=True).stdout
        CONSTRAINTS.write_text(
            f"# pip freeze of .venv-rasa after installing rasa=={RASA_VERSION} with Python 3.10 "
            f"(`python -m bot rasa setup --freeze`).\n# Keeps later installs of Rasa's dependencies "
            f"reproducible.\n{frozen}",
            encoding="utf-8",
        )
        progress(f"wrote {CONSTRAINTS.relative_to(ROOT)}")
    _STAMP.write_text(_wanted_stamp())
    progress(f"rasa {RASA_VERSION} installed in {seconds:.0f} s")
    return rasa_executable()
