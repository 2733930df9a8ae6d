"""Rule documentation, generated from the rules themselves (`ttgate explain`, docs/rules/)."""

from __future__ import annotations

import re
import textwrap
from typing import Any

from ttgate.gate.rules.base import Rule


def runbook_sections(citation: str) -> list[str]:
    """The section titles of docs/runbook.md that a rule doc's ``runbook`` cites ("A; B")."""
    return [title.strip() for title in citation.split(";") if title.strip()]


def runbook_anchor(title: str) -> str:
    """The anchor GitHub gives a heading: lowercase, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


def _runbook_links(citation: str) -> str:
    return "; ".join(
        f"[{title}](../runbook.md#{runbook_anchor(title)})" for title in runbook_sections(citation)
    )


def _parameter(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return "[" + ", ".join(_parameter(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_parameter(item)}" for key, item in value.items()) + "}"
    return str(value)


def _para(text: str) -> str:
    return textwrap.fill(text, width=100)


def explain_text(rule: Rule) -> str:
    doc = rule.doc
    parts = [
        f"{rule.id} {rule.name} (default severity: {rule.default_severity.label})",
        "",
        rule.summary,
        "",
        "What it checks",
        _para(doc.what),
        "",
        f"Why (runbook: {doc.runbook})",
        _para(doc.why),
        "",
        "How to fix",
        _para(doc.fix),
        "",
        "Fails",
        textwrap.indent(doc.bad.hcl.rstrip(), "    "),
        "",
        "Passes",
        textwrap.indent(doc.good.hcl.rstrip(), "    "),
        "",
    ]
    if rule.parameters:
        parts.append("Policy parameters (rules." + rule.id + " in .ttgate.yml)")
        parts.extend(f"    {name}: {_parameter(value)}" for name, value in rule.defaults.items())
        parts.append("")
    parts.append(f"Suppress one finding with a reason:  # ttgate:ignore {rule.id} <why>")
    return "\n".join(parts) + "\n"


def markdown(rule: Rule) -> str:
    doc = rule.doc
    lines = [
        f"# {rule.id} {rule.name}",
        "",
        f"**Default severity:** {rule.default_severity.label}  ",
        f"**Runbook:** {_runbook_links(doc.runbook)}",
        "",
        rule.summary,
        "",
        "## What it checks",
        "",
        doc.what,
        "",
        "## Why",
        "",
        doc.why,
        "",
        "## How to fix",
        "",
        doc.fix,
        "",
        "## Example",
        "",
        "Fails:",
        "",
        "```hcl",
        doc.bad.hcl.rstrip(),
        "```",
        "",
        "Passes:",
        "",
        "```hcl",
        doc.good.hcl.rstrip(),
        "```",
        "",
    ]
    if rule.parameters:
        lines += ["## Policy parameters", "", "```yaml", "rules:", f"  {rule.id}:"]
        lines += [f"    {name}: {_parameter(value)}" for name, value in rule.defaults.items()]
        lines += ["```", ""]
    lines += [
        "## Suppressing",
        "",
        f"`# ttgate:ignore {rule.id} <reason>` on the line, or on the line above "
        "the block. The reason is required.",
        "",
    ]
    return "\n".join(lines)


def index(rules: list[Rule]) -> str:
    lines = [
        "# ttgate rules",
        "",
        "Generated from the rules themselves by `python -m ttgate.gate.reporters.rule_docs docs/rules`;"
        " a test keeps it current.",
        "",
        "| ID | name | default | what it enforces |",
        "|---|---|---|---|",
    ]
    lines += [f"| [{r.id}]({r.id}.md) | {r.name} | {r.default_severity.label} | {r.summary} |" for r in rules]
    return "\n".join(lines) + "\n"


def rendered_pages(rules: list[Rule]) -> dict[str, str]:
    """File name -> content of every page of docs/rules/."""
    pages = {f"{rule.id}.md": markdown(rule) for rule in rules}
    pages["README.md"] = index(rules)
    return pages


if __name__ == "__main__":
    import sys
    from pathlib import Path

    from ttgate.gate.rules import RULES

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/rules")
    target.mkdir(parents=True, exist_ok=True)
    for name, content in rendered_pages(list(RULES.values())).items():
        (target / name).write_text(content, encoding="utf-8")
    print(f"wrote {len(RULES) + 1} pages to {target}")
