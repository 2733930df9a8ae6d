"""TG102 backend-state-key: each root stack keeps its state where the runbook's rollback looks for it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from ttgate.gate.findings import Finding, Related
from ttgate.gate.model import Stack
from ttgate.gate.rules.base import Example, Rule, RuleContext, RuleDoc
from ttgate.gate.values import Unknown, display
from ttgate.policy import Layer, Parameter, Severity
from ttgate.policy.names import name_regex

ACCOUNT_ID = r"\d{12}"


RULE = Rule(
    id="TG102",
    name="backend-state-key",
    default_severity=Severity.ERROR,
    summary="Each root stack's S3 backend uses its layer's key (no two stacks of an env share one), "
    "encrypt = true and a lock.",
    parameters={"require_encrypt": Parameter(True), "require_lock": Parameter(True)},
    doc=RuleDoc(
        what="Every root stack of a layer (from HCL; plans carry no backend block) must have a backend "
        '"s3" whose `key` is its layer\'s state key (10_core core/terraform.tfstate, 20_infra '
        "infra/terraform.tfstate, 30_app app/terraform.tfstate); no two stacks of an environment may "
        "share a key. With `require_encrypt`, `encrypt = true`; with `require_lock`, a `dynamodb_table` "
        "or `use_lockfile = true`. A `bucket` written in the block must be the environment's state "
        "bucket (`tt-practice-tf-state-{env}-{account_id}`); leaving it to -backend-config is fine. "
        "Settings given at `terraform init -backend-config=FILE` are read from the files the layout's "
        "`backend_config` names, or found by convention (`backend.conf`, `<env>.s3.tfbackend`, see "
        "docs/layouts.md); a block without `key` and no such file is partial: TG001 names what ttgate "
        "cannot see, never an error.",
        why="State rollback downloads and pushes s3://tt-practice-tf-state-{env}-<account>/{core|infra|app}/"
        "terraform.tfstate. A stack whose key is copied from another layer overwrites that layer's state "
        "and its next plan destroys the other layer's resources; an unlocked state can be written by two "
        "applies at once; an unencrypted one exposes every secret in it.",
        runbook="State file locations; Lock table",
        fix='Set key to the layer\'s state key, encrypt = true and dynamodb_table = "tt-practice-tf-locks" '
        "in the backend block, then terraform init -migrate-state.",
        bad=Example(
            "practice/deploy/30_app/environments/prod/backend.tf",
            """
            # practice/deploy/30_app/environments/prod/backend.tf
            terraform {
              backend "s3" {
                key            = "infra/terraform.tfstate"
                region         = "ap-southeast-1"
                encrypt        = true
                dynamodb_table = "tt-practice-tf-locks"
              }
            }
            """,
        ),
        good=Example(
            "practice/deploy/30_app/environments/prod/backend.tf",
            """
            # practice/deploy/30_app/environments/prod/backend.tf
            terraform {
              backend "s3" {
                key            = "app/terraform.tfstate"
                region         = "ap-southeast-1"
                encrypt        = true
                dynamodb_table = "tt-practice-tf-locks"
              }
            }
            """,
        ),
    ),
)


def _where(stack: Stack) -> str:
    return f"{stack.label} ({stack.name})" if stack.label != stack.name else stack.name


def _unverifiable(context: RuleContext, stack: Stack, what: str, unknown: Unknown) -> None:
    """TG001 for a backend setting: it belongs to the stack, not to a resource."""
    context.unverifiable(
        stack,
        what,
        unknown,
        named=f"the backend of {_where(stack)}",
        remedy="Write the backend setting as a literal (Terraform allows no variables in a backend block)",
        location=stack.backend.attribute_locations.get(what, stack.backend.location)
        if stack.backend
        else stack.location,
    )


@RULE.check
def check(context: RuleContext) -> Iterator[Finding]:
    policy = context.policy
    layers = {
        s: layer
        for s in context.model.stacks
        # A plan carries no backend; a plan laid over its HCL stack keeps the HCL's backend.
        if (s.kind == "hcl" or s.backend is not None)
        and s.layer is not None
        and (layer := policy.layer(s.layer)) is not None
    }
    stacks = list(layers)
    by_key: dict[tuple[str | None, str], list[Stack]] = defaultdict(list)
    for stack in sorted(stacks, key=lambda s: s.name):
        key = stack.backend.config.get("key") if stack.backend and stack.backend.type == "s3" else None
        if isinstance(key, str):
            by_key[(stack.env, key)].append(stack)
    for stack in stacks:
        yield from _check_stack(context, stack, layers[stack], by_key)


def _check_stack(
    context: RuleContext, stack: Stack, layer: Layer, by_key: dict[tuple[str | None, str], list[Stack]]
) -> Iterator[Finding]:
    policy = context.policy
    backend = stack.backend
    expected_bucket = policy.bucket_for(stack.env) if stack.env else policy.state_bucket
    init = f'terraform init -backend-config="bucket={expected_bucket}"'
    wanted = (
        f'backend "s3" {{ key = "{layer.state_key}", encrypt = true, '
        f'dynamodb_table = "{policy.lock_table_for(stack.env)}" }}'
    )
    if backend is None or backend.type != "s3":
        what = (
            "no backend block, so its state is a local file"
            if backend is None
            else f'a "{backend.type}" backend instead of "s3"'
        )
        yield context.finding(
            f"{_where(stack)} has {what}: its state is not in s3://{expected_bucket}/{layer.state_key}, "
            "where the runbook's state rollback and the CI apply look for it, and it is neither "
            "versioned nor locked.",
            f"Declare terraform {{ {wanted} }} and run {init} -migrate-state.",
            stack=stack,
            location=backend.location if backend else stack.location,
        )
        return
    config = backend.config
    if _partial(stack):
        _unseen(context, stack)
        return
    yield from _key(context, stack, layer, config.get("key"), by_key)
    yield from _bucket(context, stack, config.get("bucket"), expected_bucket)
    if context.params["require_encrypt"]:
        yield from _encrypt(context, stack, config.get("encrypt"))
    if context.params["require_lock"]:
        yield from _lock(context, stack, config.get("dynamodb_table"), config.get("use_lockfile"))


def _partial(stack: Stack) -> bool:
    """A partial backend completed by -backend-config files ttgate was not shown.

    The runbook gives only the bucket at init; a block without its key is completed from a file
    (``terraform init -backend-config=backend.conf``), which may set encrypt and the lock as well.
    """
    backend = stack.backend
    return backend is not None and not backend.config_files and backend.config.get("key") is None


def _unseen(context: RuleContext, stack: Stack) -> None:
    """TG001 naming the settings a partial backend leaves to files ttgate was not told about."""
    backend = stack.backend
    assert backend is not None
    config = backend.config
    unseen = ["key"]
    if context.params["require_encrypt"] and config.get("encrypt") is None:
        unseen.append("encrypt")
    lock = config.get("dynamodb_table") is None and config.get("use_lockfile") is None
    if context.params["require_lock"] and lock:
        unseen.append("the state lock (dynamodb_table or use_lockfile)")
    listed = ", ".join(unseen[:-1]) + (" and " if len(unseen) > 1 else "") + unseen[-1]
    context.unverifiable(
        stack,
        f"what it sets for {listed}",
        Unknown(
            "the backend block is partial: terraform init -backend-config=FILE completes it, "
            "and no backend-config file was named or found"
        ),
        named=f"the backend of {_where(stack)}",
        remedy='Name the backend-config files in the layout (backend_config: ["backend.conf"] or '
        '["env/{env}.s3.tfbackend"], see docs/layouts.md), or write the settings in the backend block',
        location=backend.location,
    )


def _key(
    context: RuleContext,
    stack: Stack,
    layer: Any,
    key: Any,
    by_key: dict[tuple[str | None, str], list[Stack]],
) -> Iterator[Finding]:
    policy = context.policy
    if isinstance(key, Unknown):
        _unverifiable(context, stack, "key", key)
        return
    backend = stack.backend
    assert backend is not None
    key_at = backend.attribute_locations.get("key")
    in_file = (
        f"in {key_at.file} (its -backend-config file)"
        if key_at is not None and key_at.file in backend.config_files
        else 'in the backend "s3" block'
    )
    fix = f'Set key = "{layer.state_key}" {in_file}, then run terraform init -migrate-state.'
    if not isinstance(key, str):
        yield context.finding(
            f"{_where(stack)}: the S3 backend sets no key; the runbook keeps {layer.name}'s state at "
            f'{layer.state_key} ("State File Locations"), where state rollback looks for it.',
            f'Set key = "{layer.state_key}" in the backend "s3" block.',
            stack=stack,
            location=backend.location,
        )
        return
    sharing = [other for other in by_key[(stack.env, key)] if other is not stack]
    related = [
        Related(f"{other.label} also writes {key}", where)
        for other in sharing
        if other.backend is not None
        and (where := other.backend.attribute_locations.get("key", other.backend.location)) is not None
    ]
    if key != layer.state_key:
        owner = policy.layer_for_state_key(key)
        whose = f"the state key of {owner.name}" if owner else "no layer's state key"
        if sharing:
            danger = (
                f" {', '.join(o.label for o in sharing)} writes the same key in the same bucket: each "
                "apply overwrites the other's state, and the next plan proposes to destroy what the "
                "other stack manages."
            )
        else:
            danger = (
                f' State rollback (runbook "State File Locations") looks for {layer.name}\'s state at '
                f"{layer.state_key} and would restore the wrong file."
            )
        yield context.finding(
            f'{_where(stack)}: backend key = "{key}" is {whose}, not {layer.name}\'s ("{layer.state_key}").'
            f"{danger}",
            fix,
            stack=stack,
            location=backend.attribute_locations.get("key", backend.location),
            related=related,
        )
        return
    # Of the stacks of this layer writing its key, the first is the owner; a stack of another layer
    # writing it was reported above.
    owners = [other for other in by_key[(stack.env, key)] if other.layer == stack.layer]
    if len(owners) > 1 and owners[0] is not stack:
        first = owners[0]
        yield context.finding(
            f'{_where(stack)}: backend key = "{key}" is also the key of {first.name} (both are {layer.name} '
            f"in {stack.env}): two stacks writing one state overwrite each other, and the next plan of "
            "either proposes to destroy what the other manages.",
            f"Merge the two stacks, or move {stack.name} to another environment or layer (with that "
            "layer's key); a layer has one state per environment.",
            stack=stack,
            location=backend.attribute_locations.get("key", backend.location),
            related=related,
        )


def _bucket(context: RuleContext, stack: Stack, bucket: Any, expected: str) -> Iterator[Finding]:
    if bucket is None:
        return  # given at init with -backend-config, as the runbook does
    if isinstance(bucket, Unknown):
        _unverifiable(context, stack, "bucket", bucket)
        return
    policy = context.policy
    envs = [stack.env] if stack.env else []
    pattern = name_regex(policy.state_bucket, policy, envs=envs, account_id=ACCOUNT_ID)
    if isinstance(bucket, str) and pattern.fullmatch(bucket):
        return
    assert stack.backend is not None
    yield context.finding(
        f"{_where(stack)}: backend bucket = {display(bucket)} is not {stack.env or 'this'} environment's "
        f"state bucket ({expected}, account_id 12 digits): the state would be written outside the "
        "versioned bucket that the runbook's state rollback restores from, or into another environment's.",
        f'Remove bucket from the backend block and pass it at init (terraform init -backend-config="bucket='
        f'{expected}"), or set it to {expected} with the account id filled in.',
        stack=stack,
        location=stack.backend.attribute_locations.get("bucket", stack.backend.location),
    )


def _encrypt(context: RuleContext, stack: Stack, encrypt: Any) -> Iterator[Finding]:
    if isinstance(encrypt, Unknown):
        _unverifiable(context, stack, "encrypt", encrypt)
        return
    if encrypt is True or encrypt == "true":
        return
    assert stack.backend is not None
    shown = "is not set" if encrypt is None else f"= {display(encrypt)}"
    yield context.finding(
        f"{_where(stack)}: backend encrypt {shown}: the state file holds every resource attribute, "
        "secrets included, in plain text, and is stored unencrypted.",
        'Set encrypt = true in the backend "s3" block (then terraform init -reconfigure).',
        stack=stack,
        location=stack.backend.attribute_locations.get("encrypt", stack.backend.location),
    )


def _lock(context: RuleContext, stack: Stack, table: Any, lockfile: Any) -> Iterator[Finding]:
    for what, value in (("dynamodb_table", table), ("use_lockfile", lockfile)):
        if isinstance(value, Unknown):
            _unverifiable(context, stack, what, value)
            return
    if (isinstance(table, str) and table) or lockfile is True or lockfile == "true":
        return
    assert stack.backend is not None
    policy = context.policy
    yield context.finding(
        f"{_where(stack)}: the S3 backend has no state lock (neither dynamodb_table nor use_lockfile = "
        "true): two applies at once, say the CI apply and an emergency rollback, both write the state "
        "and one loses its changes or corrupts it. The runbook checks the lock table before a rollback.",
        f'Set dynamodb_table = "{policy.lock_table_for(stack.env)}" (or use_lockfile = true on Terraform '
        '≥ 1.10) in the backend "s3" block.',
        stack=stack,
        location=stack.backend.location,
    )
