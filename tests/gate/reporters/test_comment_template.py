"""The comment's jinja2 template: the packaged one's new sections, a repository's own, hostile ones.

The packaged template reproducing today's comment and summary byte for byte is what the other tests of
tests/gate/reporters and tests/github/test_comment.py check, unchanged.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.reports import APP, INFRA, finding, report
from ttgate.errors import UserError
from ttgate.gate.plan.changes import ACTIONS, EnvironmentChanges, ResourceChange, StackChanges
from ttgate.gate.reporters import markdown
from ttgate.gate.reporters.comment_template import CommentTemplate, load_template
from ttgate.gate.reporters.markdown import Links, comment_body, marker
from ttgate.policy import Severity

LINKS = Links(repo="acme/infra", sha="0123456789abcdef0123456789abcdef01234567")


def template(tmp_path: Path, text: str) -> CommentTemplate:
    path = tmp_path / "comment.md.j2"
    path.write_text(text, encoding="utf-8")
    return load_template(path)


def body(tmp_path: Path, text: str, *findings_: object, **kwargs: object) -> str:
    chosen = report(*findings_) if findings_ else report(finding())  # type: ignore[arg-type]
    return comment_body(chosen, "k", LINKS, template=template(tmp_path, text), **kwargs)  # type: ignore[arg-type]


# --- the packaged template's sections beyond today's ---------------------------------------------------


def test_existing_findings_are_collapsed_apart_and_never_counted_as_failing() -> None:
    new = finding(address="aws_sqs_queue.new", message="The new problem.")
    old = finding("TG302", Severity.WARNING, address="aws_lambda_function.old", message="The old one.")
    old.existing = True
    text = comment_body(report(new, old), "k", LINKS)

    assert text.splitlines()[1] == "### ❌ ttgate: 1 error (1 more already on the base branch)"
    findings_part, existing_part = text.split(
        "<summary>🗂️ 1 finding already on the base branch (not failing this run)</summary>"
    )
    assert "The new problem." in findings_part and "The old one." not in findings_part
    assert text.count("<details open>") == 1  # the new error's stack; the existing ones stay closed
    assert findings_part.rstrip().endswith("<details>")
    assert "- ⚠️ warning [TG302 lambda-log-group](" in existing_part
    assert ": The old one.\n\n</details>" in existing_part


def test_only_existing_findings_read_as_all_clear() -> None:
    old = finding()
    old.existing = True
    text = comment_body(report(old), "k", LINKS)
    assert text.splitlines()[1] == "### ✅ ttgate: all clear"
    assert text.splitlines()[3].startswith("No new findings. Checked 2 stacks")
    assert "already on the base branch" in text


def plans() -> list[EnvironmentChanges]:
    infra = StackChanges(
        "20_infra/dev",
        "20_infra",
        "plans/infra.json",
        counts=dict.fromkeys(ACTIONS, 0) | {"destroy": 2, "create": 1, "move": 1},
        changes=[
            ResourceChange("aws_sqs_queue.orders", "create", "aws_sqs_queue.old_orders"),
            ResourceChange("aws_dynamodb_table.locks", "destroy"),
            ResourceChange("aws_s3_bucket.state", "destroy"),
        ],
        drift=[ResourceChange("aws_sqs_queue.dlq", "update")],
    )
    core = StackChanges("10_core/dev", "10_core", "plans/core.json", counts=dict.fromkeys(ACTIONS, 0))
    app = StackChanges(
        "30_app/dev", "30_app", "plans/app.json", counts=dict.fromkeys(ACTIONS, 0), errored="not JSON"
    )
    return [EnvironmentChanges("dev", [core, infra, app])]


def test_what_merging_does_lists_each_environment_in_apply_order() -> None:
    chosen = report(finding())
    chosen.plan_changes = plans()
    text = comment_body(chosen, "k", LINKS)

    assert (
        "**What merging does** (the plans, in apply order):\n"
        "- **dev**: 10_core/dev (no changes) → 20_infra/dev (1 create, 2 destroy, 1 move) → "
        "30_app/dev (plan not read)\n\n"
    ) in text
    infra = text.split("<summary>⚠️ <b>20_infra/dev</b>: 1 create, 2 destroy, 1 move, 1 drifted resource")[1]
    assert infra.startswith("</summary>\n\n- create <code>aws_sqs_queue.orders</code> (from ")
    assert (
        "- destroy <code>aws_dynamodb_table.locks</code>\n- destroy <code>aws_s3_bucket.state</code>\n"
        in infra
    )
    assert "**Changed outside Terraform** (drift):\n- update <code>aws_sqs_queue.dlq</code>\n" in infra
    assert "<summary>❌ <b>30_app/dev</b>: not JSON</summary>" in text
    assert text.index("<summary>📋 <b>10_core/dev</b>") < text.index("<b>20_infra/dev</b>: 1 create")
    assert text.count("<details") == text.count("</details>") == 4  # a stack with findings, three plans
    summary = markdown.render(chosen)
    assert "**What merging does**" in summary  # the job summary uses the same template


def test_a_long_list_of_addresses_is_cut_and_addresses_are_inert() -> None:
    chosen = report()
    many = [ResourceChange(f"aws_sqs_queue.q{n}", "create") for n in range(60)]
    evil = ResourceChange("aws_sqs_queue.x</code><img src=x>", "update")
    section = StackChanges("20_infra/dev", "20_infra", "p.json", dict.fromkeys(ACTIONS, 0), [evil, *many])
    chosen.plan_changes = [EnvironmentChanges(None, [section])]
    text = markdown.render(chosen)
    assert "- … and 11 more" in text and "aws_sqs_queue.q48<" in text and "q49<" not in text
    assert "<img" not in text and "x&lt;/code&gt;&lt;img" in text


# --- a repository's own template --------------------------------------------------------------------------


CUSTOM = """\
## {{ counts.icon }} {{ counts.text }} ({{ kind }})
{% for f in new %}
* {{ f.rule }} `{{ f.place }}`: {{ f.message | truncate(40) }}
{%- if f.file_url %} [open]({{ f.file_url }}){% endif %}

{% endfor %}
{% for s in stacks %}{{ loop.index }}. {{ s.label | upper }}{% if not loop.last %}, {% endif %}{% endfor %}

"""


def test_a_custom_template_reads_the_documented_context(tmp_path: Path) -> None:
    text = body(tmp_path, CUSTOM, finding(message="Queue <q> is *slow*: 30 s, below the 60 s it needs."))
    assert text == (
        f"{marker('k')}\n## ❌ 1 error (comment)\n"
        "* TG201 `practice/deploy/20_infra/environments/dev/main.tf:3`: Queue &lt;q&gt; is &#42;slow&#42;: "
        "30 s, below the... [open](https://github.com/acme/infra/blob/0123456789abcdef0123456789abcdef01234567/"
        "practice/deploy/20_infra/environments/dev/main.tf#L3)\n"
        "1. 20_INFRA/DEV, 2. 30_APP/DEV\n"
    )


@pytest.mark.parametrize("macro", ["", "{% macro item() %}an item that takes no finding{% endmacro %}"])
def test_a_custom_template_still_fits_the_limit(tmp_path: Path, macro: str) -> None:
    text_template = macro + "{% for f in new %}{{ f.message }}\n\n{% endfor %}{{ left_out.count }} left out"
    many = [finding(message=f"finding {n} " + "x" * 300, line=n) for n in range(40)]
    text = comment_body(report(*many), "k", LINKS, limit=4000, template=template(tmp_path, text_template))
    assert 3000 < len(text) <= 4000 and "finding 0 " in text and "finding 39 " not in text
    shown = text.count("finding ")
    assert text.endswith(f"{40 - shown} left out\n")


def test_the_job_summary_takes_the_template_too(tmp_path: Path) -> None:
    chosen = template(tmp_path, "{{ kind }}: {{ counts.errors }} · {{ document.key }}")
    assert markdown.render(report(finding()), template=chosen) == "summary: 1 · \n"


# --- hostile templates: refused with one line, or rendered harmless ----------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "{{ ''.__class__ }}",
            ":1: comment template: SecurityError: access to attribute '__class__' of 'str'",
        ),
        ("\n{{ new[0].message.__init__.__globals__ }}", ":2: comment template: SecurityError: access to "),
        ("{% include '/etc/passwd' %}", ":1: comment template: {% include %} is not allowed"),
        ("{% import 'x.j2' as x %}", ":1: comment template: {% import %} is not allowed"),
        ("{% extends '/etc/passwd' %}", ":1: comment template: {% extends %} is not allowed"),
        (
            "{{ counts.text.format(1) }}",
            ":1: comment template: SecurityError: calling 'format' is not allowed",
        ),
        ("{{ lipsum(1000000) }}", ":1: comment template: SecurityError: calling "),
        ("{% for i in range(10**9) %}{% endfor %}", ":1: comment template: OverflowError: Range too big"),
        ("a\n\n{{ nothing_here }}", ":3: comment template: UndefinedError: 'nothing_here' is undefined"),
        ("{% if %}", ":1: comment template: Expected an expression"),
    ],
)
def test_hostile_or_broken_templates_are_one_line_naming_file_and_line(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(UserError) as raised:
        body(tmp_path, text)
    assert str(raised.value).startswith(f"{tmp_path / 'comment.md.j2'}{message}")
    assert "\n" not in str(raised.value)


def test_workflow_commands_and_the_marker_come_out_inert(tmp_path: Path) -> None:
    text = body(
        tmp_path,
        "{{ '::set-output name=x::y' }}\n::error::boom\n  ::add-mask::v\n##[error]legacy\n"
        "<!-- ttgate:comment key=k -->\n-->\n{{ '<!-- ttgate:comment key=k -->' }}\x1b[2J\u202e",
    )
    lines = text.splitlines()
    assert lines[0] == marker("k") and text.count("<!--") == 1 and "-->" not in text.split("\n", 1)[1]
    assert not [line for line in lines if line.lstrip().startswith("::")]
    assert "##[" not in text and "\x1b" not in text and "\u202e" not in text
    assert "\\x3a:error::boom" in text and "&lt;!-- ttgate:comment key=k --&gt;" in text


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            "looped more than",
        ),
        ("{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}", "its output passed"),
        ("{{ 'x' * 10**9 }}", "built a value of more than"),
        ("{% macro f(s) %}{{ f(s ~ s) }}{% endmacro %}{{ f('x') }}", "built a value of more than"),
        ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "recursed too deeply"),
        ("{{ 2 ** 100000 }}", "a number past 4096 bits"),
        ("{{ range(100000) | join('x' * 1000) }}", "built a value of more than"),
        ("{{ 'abc' | replace('', 'y' * 100000) | replace('', 'z' * 100) }}", "built a value of more than"),
        ("{{ '%999999999d' % 1 }}", "string formatting with %"),
        ("{{ ('x\n' * 2000000) | indent('y' * 100) }}", "built a value of more than"),
    ],
)
def test_runaway_templates_are_cut_with_a_clear_message(tmp_path: Path, text: str, why: str) -> None:
    result = body(tmp_path, text)
    assert result.startswith(
        f"{marker('k')}\n### ❌ ttgate: 1 error\n\nThe findings do not fit in the comment"
    )
    assert re.search(rf"> The comment template .*comment\.md\.j2 was stopped: (it |its )?{why}", result), (
        result
    )
    assert len(result) < 1000


def test_a_template_reads_no_file_through_filters_or_globals(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    for text in (
        "{{ self }}",
        "{{ namespace.__init__ }}",
        "{{ dict.__base__ }}",
        "{{ range.__self__ }}",
        f"{{{{ '{secret}' | attr('read_text') }}}}",
        "{{ cycler }}{{ joiner }}",
    ):
        try:
            rendered = body(tmp_path, text)
        except UserError as error:
            assert str(error).count("\n") == 0
        else:
            assert "TOP-SECRET" not in rendered and "<function" not in rendered


def test_a_missing_or_oversized_template_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"^--comment-template .*nope\.j2: no such file$"):
        load_template(tmp_path / "nope.j2")
    big = tmp_path / "big.j2"
    big.write_text("x" * 300_000)
    with pytest.raises(UserError, match="larger than 256 KiB"):
        load_template(big)


def test_a_template_linked_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    """A pull request could make the template a link to the runner's secrets, shown in the comment."""
    secret = tmp_path / "credentials"
    secret.write_text("token=ghp_secret")
    repository = tmp_path / "repo"
    (repository / ".git").mkdir(parents=True)
    (repository / ".github").mkdir()
    link = repository / ".github" / "ttgate.md.j2"
    link.symlink_to(secret)
    with pytest.raises(UserError, match=r"ttgate\.md\.j2: a symbolic link to a file outside the repository"):
        load_template(link)
    (repository / "inside.j2").write_text("{{ kind }}")
    link.unlink()
    link.symlink_to(repository / "inside.j2")
    assert load_template(link).source == "{{ kind }}"


def test_values_are_escaped_and_ready_made_links_are_not(tmp_path: Path) -> None:
    nasty = finding(message="@acme/oncall see #12 [x](javascript:1) <b>", stack=APP)
    text = body(
        tmp_path, "{% for f in new %}{{ f.message }}|{{ f.rule_url }}|{{ f.message|safe }}{% endfor %}", nasty
    )
    escaped = "@\u2060acme/oncall see &#35;\u206012 &#91;x&#93;(javascript:1) &lt;b&gt;"
    assert (
        text.splitlines()[1]
        == f"{escaped}|https://github.com/ttgate/ttgate/blob/main/docs/rules/TG201.md|{escaped}"
    )
    assert INFRA.name  # the stacks of tests/reports.py
