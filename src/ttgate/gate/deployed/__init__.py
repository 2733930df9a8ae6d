"""`ttgate audit`: the runbook's rules on what is deployed, and where it drifted from the code."""
