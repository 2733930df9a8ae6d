"""The runbook's dead-letter queue procedures (``ttgate dlq``), one job per module.

- :mod:`.status`: every DLQ of an environment, how full and how old, its alarm, source and consumer;
- :mod:`.peek`: messages read without being consumed, secrets masked;
- :mod:`.investigate`: a message's consumer logs around the moment it was sent, errors first;
- :mod:`.redrive`: moving a DLQ's messages back, planned first; it runs SQS's move task
  (:mod:`.move_task`) or copies by hand (:mod:`.manual`), whose progress :mod:`.journal` keeps so an
  interrupted run resumes without duplicates.
"""
