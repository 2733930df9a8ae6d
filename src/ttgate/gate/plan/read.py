"""Reading a `terraform show -json` plan file, refusing what is not one with a clear reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ttgate.errors import UserError

SUPPORTED_MAJORS = ("0", "1")


def read_plan(path: Path, shown: str) -> dict[str, Any]:
    """The plan document; ``shown`` is how the file is named in messages."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UserError(f"--plan {shown}: cannot read: {error.strerror or error}") from None
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
        document = json.loads(text)
    except json.JSONDecodeError as error:
        # A string left open runs to the end of the file (a raw newline inside one is another error).
        truncated = error.pos >= len(text.rstrip()) - 1 or error.msg.startswith("Unterminated string")
        hint = " (the file looks truncated)" if truncated else ""
        raise UserError(
            f"--plan {shown}:{error.lineno}:{error.colno}: invalid JSON: {error.msg}{hint}"
        ) from None
    if not isinstance(document, dict) or "format_version" not in document:
        raise UserError(
            f"--plan {shown}: not a Terraform plan: no format_version (expected the output of "
            "`terraform show -json PLANFILE`)"
        )
    version = str(document["format_version"])
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
    for key in ("planned_values", "configuration", "prior_state"):
        if key in document and not isinstance(document[key], dict):
            raise UserError(f"--plan {shown}: {key} is not an object; the file is damaged")
    if "resource_changes" in document and not isinstance(document["resource_changes"], list):
        raise UserError(f"--plan {shown}: resource_changes is not a list; the file is damaged")
    return document
