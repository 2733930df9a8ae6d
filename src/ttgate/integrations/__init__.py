"""Integrations: the only modules that talk to the network or run git; one client per outside service.

- :mod:`.aws`: every boto3 client (``Aws.client``, retrying throttling and 5xx) and AWS errors as one
  line; :mod:`.sqs` and :mod:`.cloudwatch_logs` read through it;
- :mod:`.github`: the PyGithub client and its one retry policy;
- :mod:`.git`: the git CLI.
"""
