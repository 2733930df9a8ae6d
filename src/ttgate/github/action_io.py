"""The composite action's own plumbing (action.yml), in one place: its inputs checked, its step outputs
written, its cached virtualenv verified.

Standard library only: the Prepare step runs it with the runner's ``python3 -s -P`` before any
dependency is installed, as a script (``python3 -s -P .../action_io.py prepare``), and the later steps
call it to write their outputs. ``ttgate github-outputs`` and ``ttgate comment`` use
:func:`write_outputs` too, so nothing ttgate writes to ``GITHUB_OUTPUT`` or ``GITHUB_ENV`` can add or
replace another value: every value goes in a heredoc whose delimiter is random, and a value holding the
delimiter (or a name that is not a plain name) is refused.

An input that is not what its documentation says fails the Prepare step with one ``::error`` line
(the input's text escaped, so it can never become a workflow command) and exit status 2.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import secrets
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

MODES = ("update", "recreate", "hide", "off", "on-findings", "always", "never")
FAIL_ON = ("error", "warning", "notice", "never")
# Step output names as GitHub accepts them (and nothing that could start a heredoc).
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
# C0 and C1 control characters, DEL, and the Unicode line and paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_URL = re.compile(r"^https?://[^\s\"'<>\\`^{}|]+$")
ARTIFACT_PREFIX = "ttgate-report-"
ARTIFACT_KEY_CHARS = 100  # of the key, made safe, before the hash suffix
MANIFEST = "ttgate-manifest.json"


class InputError(ValueError):
    """An input of the action that is not what its documentation says; the message says which."""


# --- writing step outputs --------------------------------------------------------------------------------


def output_text(values: Iterable[tuple[str, str]]) -> str:
    """``GITHUB_OUTPUT``/``GITHUB_ENV`` lines for ``values``: each a heredoc with a fresh random delimiter.

    A name that is not a plain name, or a value holding its delimiter, is refused (ValueError): the
    delimiter is random, so the second cannot happen by chance, only by a broken random source."""
    parts = []
    for name, value in values:
        if not _NAME.match(name):
            raise ValueError(f"step output name {name!r}: expected letters, digits, '-' and '_'")
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        if delimiter in value:
            raise ValueError(f"step output {name}: the value holds its delimiter")
        parts.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    return "".join(parts)


def write_outputs(path: str | os.PathLike[str], values: Iterable[tuple[str, str]]) -> None:
    """Append ``values`` to the file (GITHUB_OUTPUT or GITHUB_ENV) in one write."""
    text = output_text(values)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)


def parse_outputs(text: str) -> dict[str, str]:
    """What the runner reads from a GITHUB_OUTPUT file: ``name=value`` lines and ``name<<DELIMITER``
    heredocs; a later value of a name replaces an earlier one, as on GitHub."""
    values: dict[str, str] = {}
    lines = iter(text.split("\n"))
    for line in lines:
        if not line:
            continue
        equals, heredoc = line.find("="), line.find("<<")
        if heredoc != -1 and (equals == -1 or heredoc < equals):
            name, delimiter = line[:heredoc], line[heredoc + 2 :]
            body: list[str] = []
            for item in lines:
                if item == delimiter:
                    break
                body.append(item)
            else:
                raise ValueError(f"output {name}: no closing {delimiter}")
            values[name] = "\n".join(body)
        elif equals != -1:
            values[line[:equals]] = line[equals + 1 :]
        else:
            raise ValueError(f"not an output line: {line!r}")
    return values


# --- checking the inputs ---------------------------------------------------------------------------------


def shown(value: str, limit: int = 80) -> str:
    """An input's text for a message: quoted, control characters escaped, cut to ``limit``."""
    text = json.dumps(value[:limit], ensure_ascii=True)
    return text + ("..." if len(value) > limit else "")


def one_line(name: str, value: str) -> str:
    if _CONTROL.search(value):
        raise InputError(f"{name}: {shown(value)} holds a newline or another control character")
    return value


def _words(name: str, value: str) -> list[str]:
    """Paths separated by spaces, tabs or newlines; none may look like an option or hold a control."""
    words = value.split()
    for word in words:
        one_line(name, word)
        if word.startswith("-"):
            raise InputError(f"{name}: {shown(word)} starts with '-' (write ./{word} for such a path)")
    return words


def _choice(name: str, value: str, choices: tuple[str, ...], expected: str) -> str:
    if value not in choices:
        raise InputError(f"{name}: unknown value {shown(value)} (expected {expected})")
    return value


def _key(value: str, env: Mapping[str, str], paths: list[str]) -> str:
    """The comment key: the input, else WORKFLOW/JOB/PATHS (the workflow's name made one line)."""
    if value:
        one_line("comment-key", value)
        if not value.strip():
            raise InputError("comment-key: only blanks; leave it empty for the default")
        return value
    workflow = _CONTROL.sub(" ", env.get("GITHUB_WORKFLOW", ""))
    job = _CONTROL.sub(" ", env.get("GITHUB_JOB", ""))
    return f"{workflow}/{job}/{' '.join(paths)}"


def artifact_name(key: str) -> str:
    """A name upload-artifact accepts (no / : " < > | * ? \\ or control), unique per key: the key made
    safe and cut, then a hash of the whole key, so two keys never share an artifact."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "-", key)[:ARTIFACT_KEY_CHARS]
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return f"{ARTIFACT_PREFIX}{safe}-{digest}"


def _action_source(action_path: str, env: Mapping[str, str]) -> tuple[str, str]:
    """Where this action comes from: GITHUB_ACTION_REPOSITORY/REF, else its path on the runner
    (``_actions/OWNER/NAME/REF``), else the workflow's own repository (``uses: ./``)."""
    repo, ref = env.get("GITHUB_ACTION_REPOSITORY", ""), env.get("GITHUB_ACTION_REF", "")
    if repo and ref:
        return repo, ref
    parts = action_path.replace("\\", "/").split("/_actions/", 1)
    if len(parts) == 2 and parts[1].count("/") >= 2:
        owner, name, ref = parts[1].split("/", 2)
        return f"{owner}/{name}", ref
    return env.get("GITHUB_REPOSITORY", ""), env.get("GITHUB_SHA", "")


def docs_url(value: str, action_path: str, env: Mapping[str, str]) -> str:
    if value:
        if not _URL.match(value):
            raise InputError(f"docs-url: {shown(value)} is not an http(s) URL without blanks or quotes")
        return value.rstrip("/")
    repo, ref = _action_source(action_path, env)
    server = env.get("GITHUB_SERVER_URL") or "https://github.com"
    url = f"{server.rstrip('/')}/{repo}/blob/{ref}/docs/rules"
    if not _URL.match(url):
        raise InputError(f"the rule documentation's URL {shown(url)} is not a URL; set docs-url")
    return url


def _lock_hash(action_path: str) -> str:
    lock = Path(action_path) / "requirements" / "action.lock"
    return hashlib.sha256(lock.read_bytes()).hexdigest()[:16]


def prepare(env: Mapping[str, str]) -> list[tuple[str, str]]:
    """Every input checked, and the values the later steps use (as step outputs)."""
    action_path = env.get("TTGATE_ACTION_PATH", "")
    # The older comment modes are accepted and not advertised.
    mode = _choice("comment", env.get("TTGATE_MODE", ""), MODES, "update, recreate, hide or off")
    fail_on = _choice("fail-on", env.get("TTGATE_FAIL_ON", ""), FAIL_ON, "error, warning, notice or never")
    paths = _words("path", env.get("TTGATE_PATHS", ""))
    for line in env.get("TTGATE_PLANS", "").splitlines():
        one_line("plans", line.strip())
        if line.strip().startswith("-"):
            raise InputError(f"plans: {shown(line.strip())} starts with '-'")
    policy = one_line("policy", env.get("TTGATE_POLICY", ""))
    sarif = one_line("sarif-file", env.get("TTGATE_SARIF", "").strip())
    if sarif and not os.path.isabs(sarif):
        sarif = os.path.join(os.getcwd(), sarif)
    key = _key(env.get("TTGATE_KEY", ""), env, paths)
    docs = docs_url(env.get("TTGATE_DOCS_URL", ""), action_path, env)
    runner_temp = env.get("RUNNER_TEMP", "")
    if not runner_temp:
        raise InputError("RUNNER_TEMP is not set: the action runs on a GitHub Actions runner")
    one_line("RUNNER_TEMP", runner_temp)
    python = f"{platform.machine()}-{'.'.join(map(str, sys.version_info[:3]))}"
    lock = _lock_hash(action_path)
    return [
        ("mode", mode),
        ("fail-on", fail_on),
        ("policy", policy),
        ("sarif-file", sarif),
        ("key", key),
        ("artifact", artifact_name(key)),
        ("docs-url", docs),
        ("cache-key", f"ttgate-venv-{python}-{lock}"),
        ("venv", f"{runner_temp}/ttgate-venv"),
        # The parse cache: saved under a new key by every run, restored from the newest with the prefix
        # (this branch's, else the default branch's: GitHub's cache scopes decide which a run may read).
        ("parse-cache-prefix", f"ttgate-parse-{python}-{lock}-"),
        (
            "parse-cache-key",
            f"ttgate-parse-{python}-{lock}-{env.get('GITHUB_RUN_ID', '0')}"
            f"-{env.get('GITHUB_RUN_ATTEMPT', '1')}",
        ),
        ("parse-cache", f"{runner_temp}/ttgate-parse-cache"),
    ]


def error_line(message: str) -> str:
    """A workflow ``::error`` command whose message is inert: % CR LF escaped as the runner expects."""
    data = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return f"::error title=ttgate::{data}"


COUNTS = ("errors", "warnings", "notices", "suppressed")


def report_outputs(status: int, report: Path, sarif: Path) -> list[tuple[str, str]]:
    """The check step's outputs: the reports' paths and the counts (what exists of them), and last
    ``exit-code``, the one value Decide reads. A report that cannot be read makes the status 2."""
    values: list[tuple[str, str]] = []
    if report.is_file():
        try:
            summary = json.loads(report.read_text(encoding="utf-8"))["summary"]
            counts = [(name, str(int(summary[name]))) for name in COUNTS]
        except (OSError, ValueError, KeyError, TypeError):
            counts, status = [], 2
        values += [("json-report", str(report)), *counts]
    if sarif.is_file():
        values.append(("sarif-file", str(sarif)))
    return [*values, ("exit-code", str(status))]


# --- the cached virtualenv -------------------------------------------------------------------------------


def _files(venv: Path) -> dict[str, str]:
    """Every file and link under ``venv`` (the manifest excluded): relative path -> sha256 (of a link:
    of its target's text)."""
    found: dict[str, str] = {}
    for directory, subdirs, names in os.walk(venv):
        base = Path(directory)
        for name in subdirs:
            if (base / name).is_symlink():
                names.append(name)  # a linked directory is an entry, not followed
        subdirs[:] = [name for name in subdirs if not (base / name).is_symlink()]
        for name in names:
            path = base / name
            relative = path.relative_to(venv).as_posix()
            if relative == MANIFEST:
                continue
            if path.is_symlink():
                found[relative] = "link:" + os.readlink(path)
            else:
                found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def write_manifest(venv: Path, lock: Path) -> None:
    """After the install: the lock's hash and every installed file's, for :func:`verify_manifest`."""
    manifest = {"lock": hashlib.sha256(lock.read_bytes()).hexdigest(), "files": _files(venv)}
    (venv / MANIFEST).write_text(json.dumps(manifest, sort_keys=True), encoding="utf-8")


def _compiled(name: str) -> bool:
    return "/__pycache__/" in f"/{name}" and name.endswith(".pyc")


def verify_manifest(venv: Path, lock: Path) -> str | None:
    """None when ``venv`` holds exactly what was installed from ``lock``; else why not.

    A compiled file (``__pycache__``) that is not the install's own is removed rather than trusted (Python
    compiles it again from the verified source): Python may write one later, and one planted would run
    instead of its source."""
    try:
        manifest = json.loads((venv / MANIFEST).read_text(encoding="utf-8"))
        expected = dict(manifest["files"])
        lock_hash = manifest["lock"]
    except (OSError, ValueError, KeyError, TypeError):
        return "no readable manifest"
    if lock_hash != hashlib.sha256(lock.read_bytes()).hexdigest():
        return "installed from another lock"
    found = _files(venv)
    for name in sorted(found):
        if _compiled(name) and found[name] != expected.get(name):
            (venv / name).unlink()
            del found[name]
    expected = {name: digest for name, digest in expected.items() if not _compiled(name) or name in found}
    extra = sorted(set(found) - set(expected))
    if extra:
        return f"{len(extra)} file(s) the install did not write, such as {shown(extra[0])}"
    changed = sorted(name for name in expected if found.get(name) != expected[name])
    if changed:
        return f"{len(changed)} file(s) missing or changed since the install, such as {shown(changed[0])}"
    return None


# --- the command line ------------------------------------------------------------------------------------


def main(argv: list[str], env: Mapping[str, str]) -> int:
    """``prepare`` | ``report STATUS JSON SARIF`` | ``set NAME=VALUE...`` |
    ``manifest write|verify VENV LOCK``."""
    command, *rest = argv or [""]
    if command == "prepare":
        try:
            values = prepare(env)
        except InputError as error:
            print(error_line(str(error)))
            return 2
        write_outputs(env["GITHUB_OUTPUT"], values)
        return 0
    if command == "report" and len(rest) == 3 and rest[0].isdigit():
        write_outputs(env["GITHUB_OUTPUT"], report_outputs(int(rest[0]), Path(rest[1]), Path(rest[2])))
        return 0
    if command == "set":
        pairs = [item.partition("=") for item in rest]
        write_outputs(env["GITHUB_OUTPUT"], [(name, value) for name, _, value in pairs])
        return 0
    if command == "manifest" and len(rest) == 3 and rest[0] in ("write", "verify"):
        venv, lock = Path(rest[1]), Path(rest[2])
        if rest[0] == "write":
            write_manifest(venv, lock)
            return 0
        why = verify_manifest(venv, lock)
        if why:
            print(f"The cached virtualenv is not used ({why}): installing it again")
            return 1
        return 0
    print(
        f"usage: action_io.py prepare | report STATUS JSON SARIF | set NAME=VALUE... | manifest ({command!r})"
    )
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], os.environ))
