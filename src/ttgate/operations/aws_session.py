"""The AWS session every operation family opens the same way: the region the operator asked for, else
the one their shell names, else the policy's; the profile as given.

Shared by ``state``, ``locks``, ``dlq``, ``logs`` and the rollback's lock preflight, so that
``--region`` means the same thing everywhere.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ttgate.integrations.aws import Aws
    from ttgate.policy import Policy


def region_for(policy: Policy, region: str | None = None) -> str:
    """--region, else AWS_REGION, else AWS_DEFAULT_REGION (as the AWS CLI does), else the policy's."""
    return region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or policy.region


def open_session(policy: Policy, region: str | None = None, profile: str | None = None) -> Aws:
    """An AWS session in :func:`region_for`'s region; nothing is sent until a client is used."""
    # Imported here: boto3 is loaded only by the commands that reach AWS.
    from ttgate.integrations.aws import Aws

    return Aws(region=region_for(policy, region), profile=profile)


__all__ = ["open_session", "region_for"]
