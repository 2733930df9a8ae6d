"""Fingerprints and how each report shows existing findings (on the base revision or in the baseline)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

from tests.reports import finding, report
from ttgate.gate.fingerprint import counts, fingerprint, mark_existing, message_shape
from ttgate.gate.reporters import github, json_report, sarif, text
from ttgate.gate.reporters.json_report import read_report


def test_a_stack_wide_finding_is_told_apart_by_what_its_message_says_not_by_numbers_or_values() -> None:
    def backend(message: str, line: int = 4) -> str:
        return fingerprint(finding("TG102", address=None, message=message, line=line))

    key = backend("30_app/prod: backend key 'infra/terraform.tfstate' is not 'app/terraform.tfstate'.")
    assert key == backend("30_app/prod: backend key 'other.tfstate' is not 'app/terraform.tfstate'.", line=40)
    assert key != backend("30_app/prod: backend bucket 'x' is not 'tt-practice-tf-state'.")
    assert message_shape('a  "b"\tc 1,209,600 s') == "a '…' c # s"


def test_a_finding_with_an_address_keeps_its_v1_fingerprint() -> None:
    """Code scanning tracks alerts by it: a changed hash would reopen every alert once."""
    one = finding(message="anything 30", line=3)
    assert fingerprint(one) == fingerprint(finding(message="something else 45", line=99))
    assert one.location is not None and one.stack is not None and one.address is not None
    v1 = "\0".join(["TG201", "", one.location.file, one.address, one.stack.name])
    assert fingerprint(one) == hashlib.sha256(v1.encode()).hexdigest()[:32]


def test_findings_sharing_a_fingerprint_are_counted_two_known_three_found_one_new() -> None:
    found = [finding(line=line) for line in (3, 9, 15)]
    known = counts(found[:2])
    assert known == Counter({fingerprint(found[0]): 2})
    matched = mark_existing(found, known)
    assert [one.existing for one in found] == [True, True, False]
    assert sum(matched.values()) == 2


def test_text_lists_new_findings_in_full_and_existing_ones_a_line_each() -> None:
    new = finding(address="aws_sqs_queue.new", message="The new problem.")
    old = finding(address="aws_sqs_queue.old", message="The old problem.", line=30)
    old.existing = True
    rendered = text.render(report(new, old))
    assert "The new problem." in rendered and "The old problem." not in rendered
    assert (
        "Existing (1): already on the base revision or in the baseline\n"
        "  practice/deploy/20_infra/environments/dev  [20_infra / dev]\n"
        "    practice/deploy/20_infra/environments/dev/main.tf:30  error TG201 sqs-visibility-timeout "
        "aws_sqs_queue.old\n"
    ) in rendered
    assert rendered.endswith("2 errors, 0 warnings, 0 notices in 2 stacks, 5 files: 1 new, 1 existing.\n")
    assert "existing" not in text.render(report(new))


def test_json_marks_existing_counts_both_and_reads_them_back(tmp_path: Path) -> None:
    new, old = finding(address="aws_sqs_queue.new"), finding(address="aws_sqs_queue.old")
    old.existing = True
    document = json.loads(json_report.render(report(new, old)))
    assert [entry["existing"] for entry in document["findings"]] == [False, True]
    assert document["summary"]["new"] == 1 and document["summary"]["existing"] == 1
    path = tmp_path / "report.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    back = read_report(path)
    assert [one.existing for one in back.findings] == [False, True]
    assert len(back.new) == 1 and len(back.existing) == 1


def test_sarif_sets_baseline_state_on_every_result() -> None:
    new, old = finding(address="aws_sqs_queue.new"), finding(address="aws_sqs_queue.old")
    old.existing = True
    results = sarif.document(report(new, old))["runs"][0]["results"]
    states = {result["properties"]["address"]: result["baselineState"] for result in results}
    assert states == {"aws_sqs_queue.new": "new", "aws_sqs_queue.old": "unchanged"}
    assert results[0]["partialFingerprints"][sarif.FINGERPRINT] == fingerprint(new)


def test_annotations_are_for_new_findings_only() -> None:
    new, old = (
        finding(address="aws_sqs_queue.new", message="New."),
        finding(address="aws_sqs_queue.old", message="Old."),
    )
    old.existing = True
    annotations = github.render(report(new, old))
    assert "New." in annotations and "Old." not in annotations
