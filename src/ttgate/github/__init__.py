"""The GitHub side of the gate and the rollback, over the one client of :mod:`ttgate.integrations.github`.

- :mod:`.comment`: ``ttgate comment``'s request: which pull request, which key, what body;
- :mod:`.sticky_comment`: one comment per key, ttgate's only when its token wrote it, kept up to date;
- :mod:`.client`: the comments' transport (:class:`~.client.CommentStore` and its PyGithub implementation);
- :mod:`.pulls`: the rollback's pull request (the default branch, opening it, retried safely).
"""
