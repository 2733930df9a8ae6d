"""Reading a `terraform show -json` plan file, refusing what is not one with a clear reason."""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path
from typing import Any

from ttgate.errors import UserError
from ttgate.gate.plan.shape import ShapeError, check_plan_shape, describe, first_lone_surrogate, path_text

SUPPORTED_MAJORS = ("0", "1")
# Terraform nests a plan about a dozen levels plus the values' own depth; far more is an attack on the
# parsers (and the recursive walks after them), refused before it reaches either.
MAX_NESTING = 200
# No AWS setting needs more digits; Python's int() refuses beyond 4,300 with an error of its own.
MAX_NUMBER_DIGITS = 40
# Bytes of one plan ttgate reads (TG000's plan_mebibytes): a plan's objects take 6 to 13 times its size
# in memory, and a 555 MB plan reached 7.2 GB. A 107.7 MB plan of 58,344 resources fits.
MAX_PLAN_MEBIBYTES = 128
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class _NumberOutOfRange(ValueError):
    pass


class PlanTooLarge(UserError):
    """The plan is larger than the run reads (see :data:`MAX_PLAN_MEBIBYTES`); nothing of it was read."""

    def __init__(self, shown: str, limit: int) -> None:
        super().__init__(
            f"--plan {shown}: larger than the {limit:,} MiB ttgate reads in one plan; nothing in it was read"
        )
        self.limit = limit


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise _NumberOutOfRange(text)
    return int(text)


def _parse_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _NumberOutOfRange(text)
    return number


def _refuse_constant(text: str) -> Any:
    raise _NumberOutOfRange(text)


def _current_depth() -> int:
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back  # type: ignore[assignment]
    return depth


def _loads(text: str) -> Any:
    """json.loads with numbers bounded and nesting capped at MAX_NESTING (the C parser counts its
    recursion against the interpreter's limit, lowered here for the one call)."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(min(previous, _current_depth() + MAX_NESTING))
    try:
        return json.loads(
            text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_refuse_constant
        )
    finally:
        sys.setrecursionlimit(previous)


def read_plan(path: Path, shown: str, max_mebibytes: int = MAX_PLAN_MEBIBYTES) -> dict[str, Any]:
    """The plan document; ``shown`` is how the file is named in messages. Past ``max_mebibytes`` it is
    PlanTooLarge, found by reading no more than the bound (the file's stated size may lie)."""
    limit = max_mebibytes << 20
    try:
        if path.stat().st_size > limit:
            raise PlanTooLarge(shown, max_mebibytes)
        with path.open("rb") as stream:
            data = stream.read(limit + 1)
    except OSError as error:
        raise UserError(f"--plan {shown}: cannot read: {error.strerror or error}") from None
    if len(data) > limit:
        raise PlanTooLarge(shown, max_mebibytes)
    try:
        return _document(data, shown)
    except MemoryError:
        raise UserError(
            f"--plan {shown}: not enough memory to read this plan; give a plan per stack"
        ) from None


def _document(data: bytes, shown: str) -> dict[str, Any]:
    if data.startswith(b"PK\x03\x04"):
        raise UserError(
            f"--plan {shown}: this is a binary plan (from `terraform plan -out`); ttgate reads its JSON "
            f"form: run `terraform show -json {shown} > plan.json` and pass plan.json"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(
            f"--plan {shown}: not a JSON text file (binary content); pass the output of "
            "`terraform show -json PLANFILE`"
        ) from None
    if not text.strip():
        raise UserError(f"--plan {shown}: the file is empty")
    try:
        document = _loads(text)
    except RecursionError:
        raise UserError(f"--plan {shown}: nested more than {MAX_NESTING} levels deep; not a plan") from None
    except _NumberOutOfRange as error:
        number = str(error) if len(str(error)) <= 20 else f"{str(error)[:20]}… ({len(str(error))} characters)"
        raise UserError(
            f"--plan {shown}: number {number} is beyond what a plan can hold (a finite number of at "
            f"most {MAX_NUMBER_DIGITS} digits)"
        ) from None
    except json.JSONDecodeError as error:
        # A string left open runs to the end of the file (a raw newline inside one is another error).
        truncated = error.pos >= len(text.rstrip()) - 1 or error.msg.startswith("Unterminated string")
        hint = " (the file looks truncated)" if truncated else ""
        raise UserError(
            f"--plan {shown}:{error.lineno}:{error.colno}: invalid JSON: {error.msg}{hint}"
        ) from None
    if _SURROGATE_ESCAPE.search(text):
        where = first_lone_surrogate(document)
        if where is not None:
            raise UserError(
                f"--plan {shown}: {path_text(where)}: half of a UTF-16 surrogate pair (\\uD800-\\uDFFF "
                "alone) is not text"
            )
    if not isinstance(document, dict) or "format_version" not in document:
        raise UserError(
            f"--plan {shown}: not a Terraform plan: no format_version (expected the output of "
            "`terraform show -json PLANFILE`)"
        )
    version = document["format_version"]
    if not isinstance(version, str):
        raise UserError(
            f'--plan {shown}: format_version: expected a string such as "1.2", got {describe(version)}'
        )
    if not version.isprintable() or len(version) > 20:
        raise UserError(f'--plan {shown}: format_version: expected a version such as "1.2"')
    if version.split(".")[0] not in SUPPORTED_MAJORS:
        raise UserError(
            f"--plan {shown}: plan format_version {version} is not supported (ttgate reads 0.x and 1.x)"
        )
    if "planned_values" not in document and "resource_changes" not in document:
        kind = "a state file" if "values" in document else "not a plan"
        raise UserError(
            f"--plan {shown}: {kind}: it has no planned_values or resource_changes (pass the output "
            "of `terraform show -json PLANFILE`, not of `terraform show -json` without a plan)"
        )
    try:
        check_plan_shape(document)
    except ShapeError as error:
        raise UserError(f"--plan {shown}: {path_text(error.path)}: {error.problem}") from None
    return document
