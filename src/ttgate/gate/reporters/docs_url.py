"""Where a finding's rule is documented: the link every report format gives beside it."""

from __future__ import annotations

import os
from urllib.parse import quote

# Absolute: a relative link would resolve against the page showing it (a job summary, a PR, code
# scanning), not against ttgate's docs. The GitHub action sets TTGATE_DOCS_URL to the docs/rules folder
# of the repository and ref it runs from (or its docs-url input), so every link opens a file that exists
# at the version that wrote it; DEFAULT_DOCS_URL is only for runs outside the action.
DOCS_URL_VARIABLE = "TTGATE_DOCS_URL"
DEFAULT_DOCS_URL = "https://github.com/ttgate/ttgate/blob/main/docs/rules"


def rule_docs_url(rule_id: str) -> str:
    base = os.environ.get(DOCS_URL_VARIABLE, "").strip().rstrip("/") or DEFAULT_DOCS_URL
    return f"{base}/{quote(rule_id, safe='')}.md"
