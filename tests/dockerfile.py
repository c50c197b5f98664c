"""The repository's Dockerfile, read as Docker would: instructions with continuations joined.

No Docker engine runs the tests, so what the image does is checked by reading what builds it.
"""

import json
import re
import shlex
from functools import cache
from pathlib import Path
from typing import cast

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"


@cache
def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, its arguments) of every line, comments dropped, `\\` continuations joined."""
    joined: list[str] = []
    pending = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        joined.append(pending + line)
        pending = ""
    parsed = []
    for text in joined:
        name, _, arguments = text.strip().partition(" ")
        parsed.append((name.upper(), arguments.strip()))
    return parsed


def arguments_of(name: str) -> list[str]:
    return [arguments for instruction, arguments in instructions() if instruction == name]


def exec_form(name: str) -> list[str]:
    """The JSON array of the last ENTRYPOINT or CMD (the one that takes effect)."""
    found = arguments_of(name)
    assert found, f"the Dockerfile has no {name}"
    assert found[-1].startswith("["), f"{name} is not in exec form"
    return cast(list[str], json.loads(found[-1]))


def user_id() -> int:
    found = [re.search(r"useradd\b.*--uid[ =](\d+)", run) for run in arguments_of("RUN")]
    uids = [int(match.group(1)) for match in found if match]
    assert len(uids) == 1, "the Dockerfile creates its user with `useradd --uid N`"
    return uids[0]


def exposed_ports() -> set[int]:
    return {int(port.split("/")[0]) for ports in arguments_of("EXPOSE") for port in ports.split()}


def environment() -> dict[str, str]:
    """The ENV the image sets (`ENV A=1 B=2` form)."""
    variables: dict[str, str] = {}
    for arguments in arguments_of("ENV"):
        for pair in shlex.split(arguments):
            name, _, value = pair.partition("=")
            variables[name] = value
    return variables


def copied_to(destination: str) -> Path:
    """The file of the build context that a final-stage `COPY SRC DEST` puts at `destination`."""
    sources = [
        arguments.split()[0]
        for arguments in arguments_of("COPY")
        if not arguments.startswith("--from") and arguments.split()[-1] == destination
    ]
    assert len(sources) == 1, f"one COPY writes {destination}"
    return ROOT / sources[0]


def healthcheck_command() -> list[str]:
    (healthcheck,) = arguments_of("HEALTHCHECK")
    command = healthcheck[healthcheck.index("CMD") + len("CMD") :].strip()
    return cast(list[str], json.loads(command))
