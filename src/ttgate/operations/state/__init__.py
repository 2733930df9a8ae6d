"""Terraform state in its S3 backend: where it lives, its versions, its locks, and restoring it safely.

- :mod:`.backend`: an environment's bucket and lock table (``Backend``, ``connect``) and the names
  Terraform's S3 backend gives the objects beside a state;
- :mod:`.versions`: the versions of a stack's state object and what each says about itself
  (``ttgate state versions``);
- :mod:`.restore`: an earlier version made ready, written to a file or uploaded (``ttgate state restore``);
- :mod:`.locks`: the locks held in DynamoDB and as S3 lockfiles, and releasing one (``ttgate locks``; the
  preflight of rollbacks and restores);
- :mod:`.lock`: taking a stack's lock the way Terraform does, for ttgate's own writes.
"""
