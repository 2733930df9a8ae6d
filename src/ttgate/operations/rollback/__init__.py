"""The runbook's git-based rollback, one job per module.

- :mod:`.scope`: which stacks a rollback changes, in rollback order (pure; :mod:`.modules` follows
  module calls, :mod:`.tree` is what it reads from a revision);
- :mod:`.from_git`: that scope for a real repository, with the refusals;
- :mod:`.render`: the scope as text;
- :mod:`.create`: the rollback commit, branch, push and pull request (:mod:`.pull_request` writes its
  body, :mod:`.verify` checks the commit, :mod:`.preflight` refuses while a stack is locked).
"""
