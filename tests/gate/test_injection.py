"""Issue 10, injection: names and strings from the checked code never become workflow commands or
terminal escapes, in any format, on stdout or on stderr."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.helpers import write_tree
from ttgate.cli import main
from ttgate.gate.reporters import FORMATS
from ttgate.gate.reporters.sanitize import json_text, no_command_lines, visible

REPO = Path(__file__).resolve().parents[2]
INFRA_DEV = "practice/deploy/20_infra/environments/dev"
# A queue name wrapping puts at the start of a line, a legacy command, a screen clear, a bidi override.
HOSTILE = (
    "q " + "x" * 60 + " ::error::wrapped ##[error]legacy \\u001b[2J\\u001b]0;title\\u0007 \\u202e \\u2028 "
    "::add-mask::done"
)
# ESC, BEL, C1 (NEL, CSI), separators, bidi override: none may reach any output raw.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
OWN_COMMAND = re.compile(r"^::(error|warning|notice) (file=[^,:]*,)?[^:]*::")


def hostile_tree(root: Path) -> Path:
    shutil.copytree(REPO / "examples" / "failing" / "practice", root / "practice")
    events = (root / INFRA_DEV / "events.tf").read_text(encoding="utf-8")
    return write_tree(
        root,
        {
            f"{INFRA_DEV}/events.tf": events.replace(
                '"${var.project}-${var.environment}-events-dlq"', f'"{HOSTILE}"'
            ),
            # A directory whose name holds a newline and a command, with a stack in it.
            "practice/deploy/x\n::error::dir\n##[error]dir/main.tf": (
                'resource "aws_sqs_queue" "q" {\n  name = "bad_name"\n}\n'
            ),
        },
    )


def assert_inert(where: str, text: str, own_commands: bool = False) -> None:
    assert not RAW_CONTROL.search(text), f"a control character reached {where}"
    assert "##[" not in text, f"a legacy command reached {where}"
    for line in text.splitlines():
        if line.lstrip().startswith("::"):
            assert own_commands and OWN_COMMAND.match(line), f"a workflow command in {where}: {line!r}"


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(hostile_tree(tmp_path / "repo"))
    return tmp_path / "repo"


@pytest.mark.parametrize("report_format", sorted(FORMATS))
def test_no_command_or_escape_in_any_format(tree: Path, tmp_path: Path, report_format: str) -> None:
    out = tmp_path / "report"
    result = CliRunner().invoke(
        main,
        ["check", "practice", "--fail-on", "never", "--format", report_format, "--format", f"json:{out}"],
    )
    assert result.exit_code == 0, result.stderr
    report = out.read_text(encoding="utf-8")
    assert "wrapped" in report and "::error::dir" in report, "the hostile names are not reported"
    assert_inert(f"{report_format} on stdout", result.stdout, own_commands=report_format == "github")
    assert_inert("stderr", result.stderr)
    assert_inert("the JSON file", report)


def test_the_json_report_reads_back_the_original_names(tree: Path, tmp_path: Path) -> None:
    import json

    out = tmp_path / "report.json"
    CliRunner().invoke(main, ["check", "practice", "--fail-on", "never", "--format", f"json:{out}"])
    messages = " ".join(
        finding["message"] for finding in json.loads(out.read_text(encoding="utf-8"))["findings"]
    )
    assert "##[error]legacy \x1b[2J" in messages


def test_a_policy_key_with_a_newline_is_one_inert_line_on_stderr(tree: Path) -> None:
    (tree / ".ttgate.yml").write_text('"bad\\n::error::key\\u001b[2J##[x]": 1\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "practice"])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert_inert("stderr", result.stderr)
    # refused without echoing the key (the policy loader rejects control characters)
    assert ".ttgate.yml:1" in result.stderr


def test_a_path_with_a_newline_in_an_error_is_one_inert_line(tree: Path) -> None:
    result = CliRunner().invoke(main, ["check", "nothing\n::error::path\x1b[2J"])
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert_inert("stderr", result.stderr)


def test_the_sanitiser() -> None:
    assert visible("a\nb\x1b[0m\u202e##[c]") == "a\\x0ab\\x1b[0m\\u202e#\\x23[c]"
    assert no_command_lines("ok\n  ::error::x\n::y\n") == "ok\n  \\x3a:error::x\n\\x3a:y\n"
    assert json_text('{"a": "\u2028##["}') == '{"a": "\\u2028#\\u0023["}'


# --- issue 18: nothing outside the repository is read --------------------------------------------

CANARY = "CANARY-7f3a91"
OUTSIDE_TFVARS = f'queue_name = "{CANARY}"\n'
# A syntax error whose offending token is the canary: quoted if the file were parsed.
OUTSIDE_TF = f"{CANARY} {CANARY} = = 1\n"


def leaky_tree(tmp_path: Path) -> Path:
    """A git checkout whose author links files of the job's machine in, every way ttgate reads files."""
    outside = write_tree(
        tmp_path / "outside",
        {
            "secret.tfvars": OUTSIDE_TFVARS,
            "secret.tfvars.json": f'{{"queue_name": "{CANARY}"}}\n',
            "x.tf": OUTSIDE_TF,
            "module/main.tf": f'resource "aws_sqs_queue" "q" {{\n  name = "{CANARY}_bad"\n}}\n',
            "policy.yml": f"project: {CANARY}\n",
            "payload.txt": CANARY,
        },
    )
    repo = tmp_path / "repo"
    shutil.copytree(REPO / "examples" / "failing" / "practice", repo / "practice")
    (repo / ".git").mkdir()
    stack = repo / INFRA_DEV
    write_tree(
        stack,
        {
            "leak.tf": 'variable "queue_name" {\n  default = "q"\n}\n'
            'resource "aws_sqs_queue" "leak" {\n  name = var.queue_name\n}\n'
            'resource "aws_sqs_queue" "read" {\n  name = file("payload.txt")\n}\n'
            'module "out" {\n  source = "../../../../../../outside/module"\n}\n',
        },
    )
    links = {
        "environ.tf": Path("/proc/self/environ"),
        "x.tf": outside / "x.tf",
        "terraform.tfvars": outside / "secret.tfvars",
        "terraform.tfvars.json": outside / "secret.tfvars.json",
        "extra.auto.tfvars": outside / "secret.tfvars",
        "payload.txt": outside / "payload.txt",
    }
    for name, target in links.items():
        (stack / name).unlink(missing_ok=True)
        (stack / name).symlink_to(target)
    return repo


def _environment_sample() -> list[str]:
    """Texts of this process's /proc/self/environ that no report would hold by chance."""
    environ = Path("/proc/self/environ")
    if not environ.exists():
        return []
    entries = environ.read_bytes().decode("utf-8", "replace").split("\0")
    return [entry for entry in entries if entry.startswith(("PATH=", "HOME=")) and len(entry) > 8]


def test_links_out_of_the_repository_leak_nothing_in_any_format(tmp_path: Path) -> None:
    repo = leaky_tree(tmp_path)
    reports = tmp_path / "reports"
    reports.mkdir()
    outputs = [f"{name}:{reports / name}" for name in sorted(FORMATS)]
    result = CliRunner().invoke(
        main,
        ["check", str(repo / "practice"), "--fail-on", "never", *(f"--format={o}" for o in outputs)],
    )
    assert result.exit_code == 0, result.output
    texts = {"stdout": result.stdout, "stderr": result.stderr}
    texts.update({path.name: path.read_text(encoding="utf-8") for path in reports.iterdir()})
    for where, text in texts.items():
        assert CANARY not in text, f"the canary reached {where}"
        for entry in _environment_sample():
            assert entry not in text, f"the environment reached {where}"
    # One finding per refused file, naming the link, never what it points at.
    report = texts["json"]
    for name in ("environ.tf", "x.tf", "terraform.tfvars", "terraform.tfvars.json", "extra.auto.tfvars"):
        assert f"20_infra/environments/dev/{name}" in report
    assert "outside the repository" in report and str(tmp_path / "outside") not in report


def test_a_policy_linked_out_of_the_repository_is_refused_unread(tmp_path: Path) -> None:
    repo = leaky_tree(tmp_path)
    (repo / ".ttgate.yml").symlink_to(tmp_path / "outside" / "policy.yml")
    result = CliRunner().invoke(main, ["check", str(repo / "practice")])
    assert result.exit_code == 2
    assert CANARY not in result.output
    assert ".ttgate.yml" in result.stderr and "outside the repository" in result.stderr


def test_extends_through_a_link_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    repo = leaky_tree(tmp_path)
    (repo / "base.yml").symlink_to(tmp_path / "outside" / "policy.yml")
    (repo / ".ttgate.yml").write_text("extends: base.yml\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(repo / "practice")])
    assert result.exit_code == 2
    assert CANARY not in result.output and "outside the repository" in result.stderr


def test_a_report_is_never_written_over_a_file_the_run_read(tmp_path: Path) -> None:
    repo = leaky_tree(tmp_path)
    write_tree(
        repo, {"policies/base.yml": "project: tt-practice\n", ".ttgate.yml": "extends: policies/base.yml\n"}
    )
    target = repo / "policies" / "base.yml"
    result = CliRunner().invoke(main, ["check", str(repo / "practice"), "--format", f"json:{target}"])
    assert result.exit_code == 2 and "one of the files this check read" in result.stderr
    assert target.read_text(encoding="utf-8") == "project: tt-practice\n"


def test_a_report_can_go_to_dev_stdout(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": 'resource "aws_sqs_queue" "q" {\n  name = "q"\n}\n'})
    result = CliRunner().invoke(main, ["check", str(tmp_path), "--format", "json:/dev/stdout"])
    assert "ttgate: error" not in result.stderr, result.stderr
    assert result.exit_code in (0, 1)
