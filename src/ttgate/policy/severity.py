"""How serious a finding is: the policy sets it per rule, reports count and colour by it."""

from __future__ import annotations

import enum


class Severity(enum.IntEnum):
    NOTICE = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(member.label for member in cls)
            raise ValueError(f"unknown severity {text!r} (choose from {choices})") from None
