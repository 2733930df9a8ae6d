"""Name templates of the policy (``{project}-{env}-{name}-dlq``, ``{project}-tf-state-{env}-{account_id}``)
as regular expressions, shared by the rules that recognise or check names."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def template_regex(template: str, fragments: Mapping[str, str]) -> str:
    """Regex source matching ``template``: its text literally, each ``{placeholder}`` by its fragment.

    Fragments are regular expressions (escape literal values with ``re.escape``); a placeholder
    without one matches any non-empty text.
    """
    parts: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[position : match.start()]))
        parts.append(f"(?:{fragments.get(match.group(1), '.+')})")
        position = match.end()
    parts.append(re.escape(template[position:]))
    return "".join(parts)


def name_regex(
    template: str, policy: Any, *, envs: Iterable[str] = (), account_id: str = r".+"
) -> re.Pattern[str]:
    """A pattern matching the names a policy template (``state_bucket``, ``lock_table``) allows.

    ``{project}`` and ``{region}`` are the policy's; ``{env}`` is one of ``envs`` (default: the
    policy's environments); ``{account_id}`` matches the regex ``account_id``. Use ``fullmatch``.
    """
    env_names = sorted({*envs} or set(policy.environments), key=len, reverse=True)
    fragments = {
        "project": re.escape(policy.project),
        "region": re.escape(policy.region),
        "env": "|".join(re.escape(env) for env in env_names),
        "account_id": account_id,
    }
    return re.compile(template_regex(template, fragments))


def backend_layer(policy: Any) -> str:
    """The layer the state backend (bucket, lock table) lives in: the first one applied (10_core)."""
    return str(policy.layers[0].name)
