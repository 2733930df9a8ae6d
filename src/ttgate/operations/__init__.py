"""Operations on live infrastructure, a package per family; they refuse rather than guess.

- :mod:`.state`: Terraform state in its S3 backend: versions, restore, locks (``ttgate state``,
  ``ttgate locks``);
- :mod:`.dlq`: dead-letter queues (``ttgate dlq``);
- :mod:`.logs`: a Lambda function's CloudWatch logs (``ttgate logs``);
- :mod:`.rollback`: the git-based rollback (``ttgate rollback``);
- shared by them: :mod:`.aws_session` (the session and region every AWS operation opens) and
  :mod:`.durations` (ages as an operator reads them).

They reach AWS, GitHub and git only through :mod:`ttgate.integrations`, and the gate only through
:mod:`ttgate.policy` and the gate's public entry points (tests/test_layers.py holds them to it).
"""
