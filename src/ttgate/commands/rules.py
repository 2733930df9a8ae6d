"""`ttgate rules` and `ttgate explain`: the catalog and each rule's page."""

from __future__ import annotations

import click

from ttgate.errors import UserError


@click.command()
def rules() -> None:
    """List the rules: ID, name, default severity and what each enforces."""
    from ttgate.gate.rules import RULES

    width = max(len(rule.name) for rule in RULES.values())
    for rule in RULES.values():
        click.echo(f"{rule.id}  {rule.name:<{width}}  {rule.default_severity.label:<7}  {rule.summary}")


@click.command()
@click.argument("rule_id")
def explain(rule_id: str) -> None:
    """Explain a rule: what it checks, why, how to fix it, examples.

    \b
    Example:
      ttgate explain TG201
    """
    from ttgate.gate.reporters.rule_docs import explain_text
    from ttgate.gate.rules import RULES

    rule = RULES.get(rule_id.upper()) or next((r for r in RULES.values() if r.name == rule_id.lower()), None)
    if rule is None:
        raise UserError(f"no rule {rule_id!r}; `ttgate rules` lists them")
    click.echo(explain_text(rule), nl=False)


COMMANDS = [rules, explain]
