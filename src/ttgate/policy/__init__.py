"""The policy: the runbook's numbers (layers, state keys, naming, rule parameters, operation thresholds)
as data, for the gate and the operations alike.

The built-in ``runbook.yml`` holds the runbook's values. A repository's ``.ttgate.yml`` (or a file
given with ``--policy``) extends it, or another file, and overrides what differs: mappings merge
deeply, lists and scalars replace. Every problem in a policy file is a :class:`UserError` naming the
file, the line, the key and what is wrong.

The modules, from the bottom: ``severity`` and ``wording`` (how problems read); ``model`` (the typed
policy) and ``rule_spec`` (what a rule tells the policy); ``yaml_file`` (one file, with the line of every
key); ``validate`` (merged data to a typed policy); ``load`` (which files, extends, merge). The policy
imports nothing from the gate, the operations or the commands: they all import it.
"""

from __future__ import annotations

from ttgate.policy.layout import Layout, LayoutMatch
from ttgate.policy.load import (
    BUILTIN_DISPLAY,
    POLICY_FILE_NAMES,
    builtin_policy_text,
    find_policy_file,
    load_policy,
)
from ttgate.policy.model import Layer, OperationsSettings, Policy, RuleSettings
from ttgate.policy.rule_spec import Declared, Parameter, ParameterProblem, RuleSpec
from ttgate.policy.severity import Severity
from ttgate.policy.wording import suggestion

__all__ = [
    "BUILTIN_DISPLAY",
    "POLICY_FILE_NAMES",
    "Declared",
    "Layer",
    "Layout",
    "LayoutMatch",
    "OperationsSettings",
    "Parameter",
    "ParameterProblem",
    "Policy",
    "RuleSettings",
    "RuleSpec",
    "Severity",
    "builtin_policy_text",
    "find_policy_file",
    "load_policy",
    "suggestion",
]
