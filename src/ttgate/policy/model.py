"""The policy as the tool reads it: layers, naming, rule settings and the operations' thresholds."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ttgate.policy.layout import Layout, LayoutMatch, match_layout, roots_regex, runbook_layout
from ttgate.policy.severity import Severity

# The placeholders a bucket or table name may hold; stack_path holds {layer} and {env} instead.
NAME_PLACEHOLDERS = ("project", "env", "region", "account_id")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Layer:
    name: str
    state_key: str
    order: int  # index in apply order; rollback goes from the highest to 0


@dataclass(frozen=True)
class RuleSettings:
    enabled: bool
    severity: Severity
    params: Mapping[str, Any]


@dataclass(frozen=True)
class OperationsSettings:
    """The ``operations:`` section: thresholds of the commands that act on live infrastructure.

    A field's default is the runbook's value; ``minimum`` in its metadata is the least a policy may set.
    """

    # `ttgate locks release` refuses a younger lock without --force: an apply waiting at its approval
    # prompt holds its lock for as long as nobody answers.
    lock_release_min_age_minutes: int = field(default=15, metadata={"minimum": 0})


@dataclass(frozen=True)
class Policy:
    project: str
    region: str
    environments: tuple[str, ...]
    layers: tuple[Layer, ...]
    stack_path: str
    state_bucket: str
    lock_table: str
    rules: Mapping[str, RuleSettings]
    operations: OperationsSettings
    sources: tuple[str, ...]  # the files it was built from, base first (the built-in runbook.yml)
    layouts: tuple[Layout, ...] = ()  # `layouts:`, tried in order after stack_path
    # `public_variables:` the variables whose TF_VAR_ and --var-file values may be shown; every other
    # value the job itself gives is a secret in every root, whatever the root declares.
    public_variables: frozenset[str] = frozenset()

    @property
    def all_layouts(self) -> tuple[Layout, ...]:
        """``stack_path`` (the runbook's layout) first, then the policy's ``layouts``."""
        return (runbook_layout(self.stack_path), *self.layouts)

    def layout_of(self, relative_dir: str) -> LayoutMatch | None:
        """The first layout a root's POSIX directory path matches (its layer and path environment)."""
        names = tuple(layer.name for layer in self.layers)
        for layout in self.all_layouts:
            found = match_layout(layout, relative_dir, names)
            if found is not None:
                return found
        return None

    def layer(self, name: str) -> Layer | None:
        return next((layer for layer in self.layers if layer.name == name), None)

    def layer_for_state_key(self, key: str) -> Layer | None:
        return next((layer for layer in self.layers if layer.state_key == key), None)

    def stack_identity(self, relative_dir: str) -> tuple[str | None, str | None]:
        """(layer, env) of a root stack from its POSIX directory path, or (None, None).

        ``stack_path`` is matched against the end of the path, so any prefix is allowed. ``{layer}``
        matches only a declared layer name; ``{env}`` matches any single path segment (an
        environment the policy does not list is still returned, for the caller to report).
        """
        pattern = roots_regex(self.stack_path, tuple(layer.name for layer in self.layers), wildcards=False)
        match = pattern.search(relative_dir.rstrip("/"))
        if match is None:
            return None, None
        return match.group("layer"), match.group("env")

    def settings(self, rule_id: str) -> RuleSettings:
        try:
            return self.rules[rule_id]
        except KeyError:
            raise KeyError(f"rule {rule_id} is not in the rule registry the policy was loaded with") from None

    def bucket_for(self, env: str, account_id: str | None = None) -> str:
        """The state bucket's name; placeholders without a value (``{account_id}``) are left as they are."""
        return _fill(
            self.state_bucket, project=self.project, region=self.region, env=env, account_id=account_id
        )

    def lock_table_for(self, env: str | None = None, account_id: str | None = None) -> str:
        """The lock table's name, ``lock_table`` with its placeholders filled where known."""
        return _fill(
            self.lock_table, project=self.project, region=self.region, env=env, account_id=account_id
        )


def _fill(template: str, **values: str | None) -> str:
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1)) or m.group(0), template)
