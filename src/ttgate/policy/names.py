"""Name templates of the policy (``{project}-{env}-{name}-dlq``, ``{project}-tf-state-{env}-{account_id}``)
as regular expressions.

The naming conventions are the policy's, not the gate's: the rules that check names read them here, and
so do the operations that find resources by name (``ttgate dlq status`` recognises a DLQ by the policy's
``dlq`` pattern), without reaching into the gate.

Both the template (the policy's) and the name (a resource's) may be hostile, so templates are matched
by RE2 (:class:`NamePattern`): linear in the name whatever the template. Python's backtracking ``re``
took over 300 s on a template of 16 ``{account_id}`` and a name of dashes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import re2  # type: ignore[import-untyped]

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# Memory RE2 may use for one template's automaton (a template is a line of text, its automaton small).
_MAX_MEMORY = 8 << 20


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False
    options.max_mem = _MAX_MEMORY
    return options


_OPTIONS = _options()


class NamePattern:
    """A name template compiled by RE2; ``match``, ``fullmatch`` and ``search`` say whether a name fits.

    RE2 reads UTF-8, which a lone surrogate (``"\\ud800"`` in a hostile name) is not: such a name is
    matched with the surrogate replaced, so it fits no literal template text and never raises. A
    template built from such text (an environment named after a directory whose name is not UTF-8) is
    compiled the same way.
    """

    def __init__(self, source: str) -> None:
        self.pattern = source
        self._regex = re2.compile(_utf8(source), _OPTIONS)

    def fullmatch(self, name: str) -> bool:
        return self._regex.fullmatch(_utf8(name)) is not None

    def match(self, name: str) -> bool:
        return self._regex.match(_utf8(name)) is not None

    def search(self, name: str) -> bool:
        return self._regex.search(_utf8(name)) is not None


def compile_template(source: str) -> NamePattern:
    """A regex built by :func:`template_regex` (and what surrounds it), compiled by RE2."""
    return NamePattern(source)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _utf8(text: str) -> str:
    """``text`` as valid UTF-8 for RE2: each lone surrogate becomes U+FFFD (not "?", which in a
    pattern would be an operator)."""
    return _SURROGATE.sub("\ufffd", text)


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
) -> NamePattern:
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
    return compile_template(template_regex(template, fragments))


def prefix_match(template: str, policy: Any, prefix: str, *, envs: Iterable[str] = ()) -> bool | None:
    """Whether a name that begins with ``prefix`` (the rest unknown) follows ``template``.

    True when the prefix matches the template up to a placeholder that takes any text (``{account_id}``):
    the known part already follows the convention, as Terraform's refinements let a pattern decide.
    False when no name with this prefix can match; None when the unknown rest decides.
    """
    known = {
        "project": [policy.project],
        "region": [policy.region],
        "env": sorted({*envs} or set(policy.environments)),
    }
    positions = {0}
    undecided = False
    position = 0
    pieces: list[tuple[str, list[str] | None]] = []  # (literal, None) or ("", alternatives); open: ("", [])
    for match in _PLACEHOLDER.finditer(template):
        pieces.append((template[position : match.start()], None))
        pieces.append(("", known.get(match.group(1), [])))
        position = match.end()
    pieces.append((template[position:], None))
    for literal, alternatives in pieces:
        if alternatives == []:  # any text: what is known so far follows the template
            return True if positions else (None if undecided else False)
        choices = [literal] if alternatives is None else alternatives
        following: set[int] = set()
        for start in positions:
            rest = prefix[start:]
            for choice in choices:
                if rest.startswith(choice):
                    following.add(start + len(choice))
                elif choice.startswith(rest):  # the prefix ends inside this piece
                    undecided = True
        positions = following
    return None if undecided or len(prefix) in positions else False


def backend_layer(policy: Any) -> str:
    """The layer the state backend (bucket, lock table) lives in: the first one applied (10_core)."""
    return str(policy.layers[0].name)
