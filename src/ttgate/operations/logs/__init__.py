"""A Lambda function's CloudWatch logs (``ttgate logs``; also read by ``ttgate dlq investigate``).

- :mod:`.window`: ``--since``/``--start``/``--end`` as epoch milliseconds;
- :mod:`.events`: the function's log group, the events of a query (read once or followed), their level
  and request ids, and how an event prints.
"""
