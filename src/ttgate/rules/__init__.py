"""The rule catalog. IDs are public API: users configure and suppress rules by them."""

from __future__ import annotations

from ttgate.rules import (
    tg000_parse_error,
    tg001_unverifiable,
    tg101_layer_dependency,
    tg201_sqs_visibility_timeout,
    tg204_dlq_alarm,
    tg301_log_retention,
)
from ttgate.rules.base import Rule

RULES: dict[str, Rule] = {
    module.RULE.id: module.RULE
    for module in (
        tg000_parse_error,
        tg001_unverifiable,
        tg101_layer_dependency,
        tg201_sqs_visibility_timeout,
        tg204_dlq_alarm,
        tg301_log_retention,
    )
}
