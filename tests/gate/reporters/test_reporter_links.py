"""Where the reporters point: rule links that open an existing file, SARIF's cap and automation id."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.reports import finding, report
from ttgate.gate.reporters import DOCS_URL_VARIABLE, rule_docs_url
from ttgate.gate.reporters import sarif as sarif_reporter
from ttgate.gate.reporters.markdown import Links, comment_body
from ttgate.gate.reporters.markdown import render as markdown
from ttgate.gate.rules import RULES
from ttgate.policy import Severity

REPO = Path(__file__).resolve().parents[3]
DOCS = "https://github.example/octo/ttgate/blob/v9/docs/rules"


def test_every_rule_link_the_reporters_write_opens_a_file_in_docs_rules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(DOCS_URL_VARIABLE, DOCS + "/")
    checked = report(*(finding(rule=rule_id) for rule_id in RULES))
    links = Links("https://github.example", "octo/infra", "0" * 40, "https://github.example/run")
    written = markdown(checked) + comment_body(checked, "k", links) + sarif_reporter.render(checked)

    found = set(re.findall(re.escape(DOCS) + r"/([^)\s\"]+)", written))

    assert found >= {f"{rule_id}.md" for rule_id in RULES}
    missing = [name for name in found if not (REPO / "docs" / "rules" / name).is_file()]
    assert missing == []


def test_without_the_action_links_use_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DOCS_URL_VARIABLE, raising=False)
    assert rule_docs_url("TG201").endswith("/docs/rules/TG201.md")


def test_sarif_keeps_the_most_severe_results_under_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sarif_reporter, "RESULT_LIMIT", 3)
    findings = [finding(severity=Severity.NOTICE, message=f"notice {n}") for n in range(3)]
    findings += [finding(severity=Severity.ERROR, message=f"error {n}") for n in range(2)]
    findings += [finding(severity=Severity.WARNING, message="warning")]

    run = sarif_reporter.document(report(*findings))["runs"][0]

    assert sorted(result["level"] for result in run["results"]) == ["error", "error", "warning"]
    assert run["properties"]["ttgateNote"].startswith("3 of 6 findings left out, the least severe first")


def test_sarif_automation_id_comes_from_the_comment_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sarif_reporter.AUTOMATION_ID_VARIABLE, "gate/20_infra")
    run = json.loads(sarif_reporter.render(report(finding())))["runs"][0]
    assert run["automationDetails"] == {"id": "ttgate/gate/20_infra/"}
    assert "properties" not in run

    monkeypatch.delenv(sarif_reporter.AUTOMATION_ID_VARIABLE)
    assert "automationDetails" not in sarif_reporter.document(report(finding()))["runs"][0]
