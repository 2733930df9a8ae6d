"""ttgate: the runbook's rules as a pre-merge gate for a layered Terraform monorepo on AWS."""

__version__ = "0.1.0"
