"""ttgate.github.action_io: the action's step outputs, input checks, artifact names and venv manifest."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ttgate.github.action_io import (
    ARTIFACT_PREFIX,
    InputError,
    artifact_name,
    main,
    output_text,
    parse_outputs,
    prepare,
    report_outputs,
    verify_manifest,
    write_manifest,
)

REPO = Path(__file__).resolve().parents[2]


def test_every_value_is_a_heredoc_with_a_fresh_random_delimiter() -> None:
    text = output_text([("a", "x\nexit-code=0"), ("b", "")])
    assert parse_outputs(text) == {"a": "x\nexit-code=0", "b": ""}
    first, second = (line.split("<<")[1] for line in text.splitlines() if "<<" in line)
    assert first != second and len(first) > 32
    with pytest.raises(ValueError, match="name"):
        output_text([("a\nb", "x")])
    with pytest.raises(ValueError, match="name"):
        output_text([("a<<EOF", "x")])


def test_artifact_names_are_unique_per_key() -> None:
    keys = ["a/b", "a:b", "a b", "a-b", "x" * 200 + "1", "x" * 200 + "2", "ü", "é"]
    names = [artifact_name(key) for key in keys]
    assert len(set(names)) == len(keys)
    for name in names:
        assert name.startswith(ARTIFACT_PREFIX) and len(name) <= 140
        assert not set(name) & set('/:"<>|*?\\\r\n ')


def environment(tmp_path: Path, **inputs: str) -> dict[str, str]:
    return {
        "TTGATE_ACTION_PATH": str(REPO),
        "TTGATE_MODE": "update",
        "TTGATE_FAIL_ON": "error",
        "TTGATE_PATHS": ".",
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_REPOSITORY": "octo/infra",
        "GITHUB_SHA": "abc",
        "GITHUB_WORKFLOW": "gate\nexit-code=0",
        "GITHUB_JOB": "check",
    } | inputs


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"TTGATE_MODE": "sometimes"}, 'comment: unknown value "sometimes"'),
        ({"TTGATE_FAIL_ON": "errors"}, 'fail-on: unknown value "errors"'),
        ({"TTGATE_PATHS": "a --format=json:/x"}, "path: \"--format=json:/x\" starts with '-'"),
        ({"TTGATE_PLANS": "a=b.json\n--policy=x"}, 'plans: "--policy=x" starts with'),
        ({"TTGATE_POLICY": "p.yml\nx"}, "policy: "),
        ({"TTGATE_SARIF": "a\nexit-code=0"}, 'sarif-file: "a\\nexit-code=0" holds a newline'),
        ({"TTGATE_KEY": "k\rx"}, "comment-key: "),
        ({"TTGATE_KEY": "   "}, "comment-key: only blanks"),
        ({"TTGATE_DOCS_URL": "javascript:alert(1)"}, "docs-url: "),
        ({"TTGATE_DOCS_URL": "https://x.example/a b"}, "docs-url: "),
    ],
)
def test_inputs_are_refused_in_one_line(tmp_path: Path, inputs: dict[str, str], message: str) -> None:
    with pytest.raises(InputError, match=None) as raised:
        prepare(environment(tmp_path, **inputs))
    assert str(raised.value).startswith(message), raised.value


def test_the_default_key_is_one_line(tmp_path: Path) -> None:
    values = dict(prepare(environment(tmp_path, TTGATE_PATHS="a\nb")))
    assert values["key"] == "gate exit-code=0/check/a b"
    assert values["docs-url"] == "https://github.example/octo/infra/blob/abc/docs/rules"


def test_prepare_prints_one_escaped_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "out"
    env = environment(tmp_path, TTGATE_MODE="x%0A\n::error::pwned", GITHUB_OUTPUT=str(output))
    assert main(["prepare"], env) == 2
    assert capsys.readouterr().out == (
        '::error title=ttgate::comment: unknown value "x%250A\\n::error::pwned" '
        "(expected update, recreate, hide or off)\n"
    )
    assert not output.exists()


def fake_venv(tmp_path: Path) -> tuple[Path, Path]:
    venv = tmp_path / "venv"
    site = venv / "lib" / "python3.12" / "site-packages"
    (site / "pkg" / "__pycache__").mkdir(parents=True)
    (site / "pkg" / "__init__.py").write_text("x = 1\n")
    (site / "pkg" / "__pycache__" / "__init__.cpython-312.pyc").write_bytes(b"compiled")
    (venv / "bin").mkdir()
    os.symlink("/usr/bin/python3", venv / "bin" / "python")
    lock = tmp_path / "action.lock"
    lock.write_text("pkg==1 --hash=sha256:00\n")
    write_manifest(venv, lock)
    return venv, lock


def test_a_verified_venv_is_used(tmp_path: Path) -> None:
    venv, lock = fake_venv(tmp_path)
    assert verify_manifest(venv, lock) is None


def test_a_planted_pth_or_a_changed_file_or_link_rebuilds(tmp_path: Path) -> None:
    venv, lock = fake_venv(tmp_path)
    site = venv / "lib" / "python3.12" / "site-packages"
    (site / "evil.pth").write_text("import os\n")
    assert "1 file(s) the install did not write" in (verify_manifest(venv, lock) or "")
    (site / "evil.pth").unlink()
    (site / "pkg" / "__init__.py").write_text("x = 2\n")
    assert "changed since the install" in (verify_manifest(venv, lock) or "")
    (site / "pkg" / "__init__.py").write_text("x = 1\n")
    (venv / "bin" / "python").unlink()
    os.symlink("../../evil", venv / "bin" / "python")
    assert "changed since the install" in (verify_manifest(venv, lock) or "")


def test_a_compiled_file_the_install_did_not_write_is_removed_not_trusted(tmp_path: Path) -> None:
    venv, lock = fake_venv(tmp_path)
    cache = venv / "lib" / "python3.12" / "site-packages" / "pkg" / "__pycache__"
    (cache / "__init__.cpython-312.pyc").write_bytes(b"planted")
    (cache / "other.cpython-312.pyc").write_bytes(b"planted")
    assert verify_manifest(venv, lock) is None
    assert list(cache.iterdir()) == []


def test_another_lock_or_no_manifest_rebuilds(tmp_path: Path) -> None:
    venv, lock = fake_venv(tmp_path)
    lock.write_text("pkg==2 --hash=sha256:11\n")
    assert verify_manifest(venv, lock) == "installed from another lock"
    (venv / "ttgate-manifest.json").unlink()
    assert verify_manifest(venv, lock) == "no readable manifest"


def test_the_check_step_outputs_end_with_the_exit_code(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    sarif = tmp_path / "x.sarif"
    assert report_outputs(1, report, sarif) == [("exit-code", "1")]
    report.write_text('{"summary": {"errors": 9, "warnings": 2, "notices": 0, "suppressed": 0}}')
    sarif.write_text("{}")
    assert report_outputs(1, report, sarif) == [
        ("json-report", str(report)),
        ("errors", "9"),
        ("warnings", "2"),
        ("notices", "0"),
        ("suppressed", "0"),
        ("sarif-file", str(sarif)),
        ("exit-code", "1"),
    ]
    report.write_text('{"summary": {"errors": "many"}}')  # not a report: the check did not finish
    assert report_outputs(0, report, sarif)[-1] == ("exit-code", "2")
