"""Policy loading: the built-in runbook.yml, .ttgate.yml discovery, extends, merging and validation."""

from __future__ import annotations

import dataclasses
import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from ttgate.errors import UserError
from ttgate.gate.rules import RULES
from ttgate.policy import OperationsSettings, Parameter, Policy, RuleSpec, Severity, load_policy

RUNBOOK_YML = Path(__file__).resolve().parents[2] / "policies" / "runbook.yml"

ALLOWED_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 180, 365, 400, 545, 731, 1827, 3653]


@dataclass(frozen=True)
class SmallRule:
    """A rule as the policy loader sees it (ID, severity, parameters), for rules the catalog lacks."""

    id: str
    default_severity: Severity
    parameters: Mapping[str, Parameter] = field(default_factory=dict)


REGISTRY: Mapping[str, RuleSpec] = RULES
E, W, N = Severity.ERROR, Severity.WARNING, Severity.NOTICE


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository root (with .git) that is also the working directory, so messages show short paths."""
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def load(repo: Path, text: str, name: str = ".ttgate.yml") -> Policy:
    return load_policy(REGISTRY, explicit=write(repo / name, text))


def load_error(repo: Path, text: str, name: str = ".ttgate.yml") -> str:
    with pytest.raises(UserError) as caught:
        load(repo, text, name)
    message = str(caught.value)
    assert "\n" not in message, message
    return message


# --------------------------------------------------------------------------------------------------
# The built-in policy


def test_builtin_policy_has_the_runbook_values() -> None:
    policy = load_policy(REGISTRY)

    assert policy.project == "tt-practice"
    assert policy.region == "ap-southeast-1"
    assert policy.environments == ("dev", "stage", "prod")
    assert [(layer.name, layer.state_key, layer.order) for layer in policy.layers] == [
        ("10_core", "core/terraform.tfstate", 0),
        ("20_infra", "infra/terraform.tfstate", 1),
        ("30_app", "app/terraform.tfstate", 2),
    ]
    assert policy.sources == ("runbook.yml (built-in)",)
    assert policy.bucket_for("dev", "057336397237") == "tt-practice-tf-state-dev-057336397237"
    assert policy.bucket_for("prod") == "tt-practice-tf-state-prod-{account_id}"
    assert policy.lock_table_for() == "tt-practice-tf-locks"


def test_builtin_policy_gives_every_rule_its_catalog_severity_and_parameters() -> None:
    policy = load_policy(REGISTRY)

    assert set(policy.rules) == set(REGISTRY)
    for rule_id, spec in REGISTRY.items():
        settings = policy.settings(rule_id)
        assert settings.enabled is True
        assert settings.severity == spec.default_severity, rule_id
        assert dict(settings.params) == RULES[rule_id].defaults, rule_id
    assert policy.settings("TG201").params["multiplier"] == 6.0
    assert isinstance(policy.settings("TG201").params["multiplier"], float)


def test_runbook_yml_lists_only_catalog_rules_with_their_defaults() -> None:
    """runbook.yml documents the runbook's numbers; the rules own them, so the two must agree."""
    raw = yaml.safe_load(RUNBOOK_YML.read_text(encoding="utf-8"))
    for rule_id, settings in raw["rules"].items():
        assert rule_id in RULES, f"runbook.yml configures {rule_id}, which is not a rule"
        rule = RULES[rule_id]
        params = {key: value for key, value in settings.items() if key not in ("severity", "enabled")}
        assert params == {name: rule.defaults[name] for name in params}, rule_id
        assert Severity.parse(settings.get("severity", rule.default_severity.label)) == rule.default_severity

    policy = load_policy(RULES)
    placement = policy.settings("TG103").params["placement"]
    # the runbook's layers: Lambda in 30_app, SQS in 20_infra, KMS in 10_core
    assert (placement["aws_lambda_function"], placement["aws_sqs_queue"], placement["aws_kms_key"]) == (
        "30_app",
        "20_infra",
        "10_core",
    )
    assert policy.settings("TG301").params["allowed_days"] == ALLOWED_DAYS


def test_a_rule_absent_from_every_file_gets_its_spec_defaults() -> None:
    registry = {**REGISTRY, "TG999": SmallRule("TG999", N, {"limit": Parameter(5)})}

    settings = load_policy(registry).settings("TG999")

    assert settings.enabled is True
    assert settings.severity == N
    assert dict(settings.params) == {"limit": 5}


# --------------------------------------------------------------------------------------------------
# The operations section


def test_builtin_operations_settings_are_the_defaults_runbook_yml_restates() -> None:
    raw = yaml.safe_load(RUNBOOK_YML.read_text(encoding="utf-8"))
    defaults = {setting.name: setting.default for setting in dataclasses.fields(OperationsSettings)}

    assert raw["operations"] == defaults
    assert load_policy(REGISTRY).operations == OperationsSettings(**defaults)
    assert load_policy(REGISTRY).operations.lock_release_min_age_minutes == 15


def test_every_operations_setting_is_documented_in_the_readme() -> None:
    readme = (RUNBOOK_YML.parents[1] / "README.md").read_text(encoding="utf-8")
    for setting in dataclasses.fields(OperationsSettings):
        assert f"| `operations.{setting.name}` | `{setting.default}` |" in readme, setting.name


def test_an_operations_setting_is_overridden_and_typed(repo: Path) -> None:
    policy = load(repo, "operations:\n  lock_release_min_age_minutes: 0\n")

    assert policy.operations == OperationsSettings(lock_release_min_age_minutes=0)
    assert policy.settings("TG201").params["multiplier"] == 6.0  # the rest is the runbook's


def test_a_null_operations_section_means_the_defaults(repo: Path) -> None:
    assert load(repo, "operations: null\n").operations == OperationsSettings()


# --------------------------------------------------------------------------------------------------
# Discovery, overriding, merging


def test_ttgate_yml_is_found_from_a_nested_directory_and_overrides_one_parameter(repo: Path) -> None:
    write(repo / ".ttgate.yml", "rules:\n  TG201: {multiplier: 8}\n")
    nested = repo / "practice" / "deploy" / "30_app" / "environments" / "dev"
    nested.mkdir(parents=True)

    policy = load_policy(REGISTRY, search_dir=nested)

    tg201 = policy.settings("TG201")
    assert tg201.params["multiplier"] == 8.0
    assert tg201.params["include_batching_window"] is True  # kept from the runbook
    assert tg201.severity == E
    assert policy.project == "tt-practice"
    assert policy.sources == ("runbook.yml (built-in)", ".ttgate.yml")


def test_ttgate_yaml_spelling_is_found_too(repo: Path) -> None:
    write(repo / ".ttgate.yaml", "project: other\n")

    assert load_policy(REGISTRY, search_dir=repo).project == "other"


def test_discovery_stops_at_the_repository_root(tmp_path: Path) -> None:
    write(tmp_path / ".ttgate.yml", "project: outside-the-repo\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "sub").mkdir()

    assert load_policy(REGISTRY, search_dir=repo / "sub").project == "tt-practice"


def test_explicit_policy_wins_over_a_discovered_one(repo: Path) -> None:
    write(repo / ".ttgate.yml", "project: discovered\n")
    explicit = write(repo / "ci" / "policy.yml", "project: explicit\n")

    assert load_policy(REGISTRY, explicit=explicit, search_dir=repo).project == "explicit"


def test_mappings_merge_deeply_while_lists_replace(repo: Path) -> None:
    policy = load(
        repo,
        """
        environments: [qa]
        rules:
          TG103:
            placement: {aws_sns_topic: 20_infra, aws_dynamodb_table: 10_core}
          TG301:
            allowed_days: [7, 14]
        """,
    )

    placement = policy.settings("TG103").params["placement"]
    assert placement["aws_sns_topic"] == "20_infra"  # added
    assert placement["aws_dynamodb_table"] == "10_core"  # overridden
    assert placement["aws_lambda_function"] == "30_app"  # kept from the runbook
    assert policy.settings("TG103").severity == W  # sibling keys kept
    assert policy.settings("TG301").params["allowed_days"] == [7, 14]  # replaced, not appended
    assert policy.settings("TG301").params["default_days"] == 14
    assert policy.environments == ("qa",)


def test_layers_list_replaces_the_runbook_layers(repo: Path) -> None:
    policy = load(
        repo,
        """
        layers:
          - {name: 10_core, state_key: core.tfstate}
          - {name: 20_infra, state_key: infra.tfstate}
        rules:
          TG103:
            placement:  # null drops an entry inherited from the runbook
              aws_lambda_function: 20_infra
              aws_lambda_event_source_mapping: null
              aws_lambda_layer_version: null
        """,
    )

    assert [(layer.name, layer.order) for layer in policy.layers] == [("10_core", 0), ("20_infra", 1)]
    assert policy.layer("30_app") is None
    placement = policy.settings("TG103").params["placement"]
    assert placement["aws_lambda_function"] == "20_infra"
    assert "aws_lambda_layer_version" not in placement
    assert placement["aws_kms_key"] == "10_core"


def test_placement_inherited_from_the_runbook_must_name_a_declared_layer(repo: Path) -> None:
    message = load_error(repo, "layers:\n  - {name: 20_infra, state_key: infra/terraform.tfstate}\n")

    assert re.match(
        r'runbook\.yml \(built-in\):\d+: rules\.TG103\.placement\.aws_lambda_function: "30_app" is not a '
        r"declared layer \(layers: 20_infra\); map aws_lambda_function to one of them, "
        r'or drop it with "aws_lambda_function: null"$',
        message,
    ), message


def test_rule_can_be_disabled_and_reseverited(repo: Path) -> None:
    policy = load(repo, "rules:\n  TG103: {enabled: false}\n  TG401: {severity: Error}\n")

    assert policy.settings("TG103").enabled is False
    assert policy.settings("TG401").severity == E
    assert policy.settings("TG401").enabled is True


def test_empty_policy_file_means_the_runbook(repo: Path) -> None:
    policy = load(repo, "")

    assert policy.project == "tt-practice"
    assert policy.sources == ("runbook.yml (built-in)", ".ttgate.yml")


# --------------------------------------------------------------------------------------------------
# extends


def test_extends_chain_applies_files_base_first(repo: Path) -> None:
    write(repo / "policies" / "org.yml", "extends: runbook\nproject: org\nregion: eu-west-1\n")
    write(repo / "policies" / "team.yml", "extends: org.yml\nregion: us-east-1\n")
    write(repo / ".ttgate.yml", "extends: policies/team.yml\nrules:\n  TG202: {max_receive_count: 5}\n")

    policy = load_policy(REGISTRY, search_dir=repo)

    assert policy.project == "org"
    assert policy.region == "us-east-1"  # team.yml overrides org.yml
    assert policy.settings("TG202").params["max_receive_count"] == 5
    assert policy.sources == (
        "runbook.yml (built-in)",
        "policies/org.yml",
        "policies/team.yml",
        ".ttgate.yml",
    )


def test_extends_cycle_is_an_error_naming_the_cycle(repo: Path) -> None:
    write(repo / "a.yml", "extends: b.yml\n")
    write(repo / "b.yml", "project: x\nextends: a.yml\n")

    with pytest.raises(UserError) as caught:
        load_policy(REGISTRY, explicit=repo / "a.yml")

    assert str(caught.value) == "b.yml:2: extends: cycle: a.yml -> b.yml -> a.yml"


def test_extends_a_missing_file(repo: Path) -> None:
    message = load_error(repo, "project: x\nextends: base.yml\n")

    assert message == ".ttgate.yml:2: extends: policy file base.yml does not exist"


def test_extends_must_be_a_string(repo: Path) -> None:
    message = load_error(repo, "extends: [runbook]\n")

    assert message.startswith(".ttgate.yml:1: extends: expected")


# --------------------------------------------------------------------------------------------------
# Stack identity and layers


@pytest.mark.parametrize(
    ("directory", "expected"),
    [
        ("practice/deploy/20_infra/environments/dev", ("20_infra", "dev")),
        ("20_infra/environments/prod", ("20_infra", "prod")),
        ("./10_core/environments/stage", ("10_core", "stage")),
        ("practice/deploy/30_app/environments/dev/", ("30_app", "dev")),  # trailing slash
        ("practice/deploy/30_app/environments/sandbox", ("30_app", "sandbox")),  # undeclared env
        ("practice/deploy/40_data/environments/dev", (None, None)),  # undeclared layer
        ("practice/deploy/x20_infra/environments/dev", (None, None)),  # layer is a whole segment
        ("practice/deploy/20_infra/modules/sqs", (None, None)),
        ("practice/deploy/20_infra/environments/dev/extra", (None, None)),  # pattern at the end only
        ("practice/deploy/20_infra/environments", (None, None)),
        ("", (None, None)),
    ],
)
def test_stack_identity(directory: str, expected: tuple[str | None, str | None]) -> None:
    assert load_policy(REGISTRY).stack_identity(directory) == expected


def test_stack_identity_follows_a_custom_stack_path(repo: Path) -> None:
    policy = load(repo, 'stack_path: "stacks/{env}-{layer}"\n')

    assert policy.stack_identity("infra/stacks/prod-30_app") == ("30_app", "prod")
    assert policy.stack_identity("infra/30_app/environments/prod") == (None, None)


def test_layer_for_state_key() -> None:
    policy = load_policy(REGISTRY)

    infra = policy.layer_for_state_key("infra/terraform.tfstate")
    assert infra is not None
    assert (infra.name, infra.order) == ("20_infra", 1)
    assert policy.layer_for_state_key("terraform.tfstate") is None
    assert policy.layer_for_state_key("core/terraform.tfstate") == policy.layer("10_core")


# --------------------------------------------------------------------------------------------------
# Validation: one line naming file, line, key and problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "project: x\nrules:\n  TG201:\n    severity: error\n    multiplier: six\n",
            '.ttgate.yml:5: rules.TG201.multiplier: expected a number, got "six"',
            id="wrong-type-number",
        ),
        pytest.param(
            "region: x\n\nenviroments: [dev]\n",
            '.ttgate.yml:3: unknown key "enviroments" (did you mean "environments"?)',
            id="unknown-top-level-key",
        ),
        pytest.param(
            "rules:\n  TG210: {severity: error}\n",
            '.ttgate.yml:2: rules: unknown rule "TG210" (did you mean',
            id="unknown-rule",
        ),
        pytest.param(
            "rules:\n  TG201: {multiplyer: 3}\n",
            '.ttgate.yml:2: rules.TG201: unknown parameter "multiplyer" (did you mean "multiplier"?)',
            id="unknown-parameter",
        ),
        pytest.param(
            "rules:\n  TG501: {retention: 3}\n",
            '.ttgate.yml:2: rules.TG501: unknown parameter "retention" (expected one of: enabled, severity)',
            id="unknown-parameter-of-rule-without-parameters",
        ),
        pytest.param(
            "rules:\n  TG202:\n    max_receive_count: true\n",
            ".ttgate.yml:3: rules.TG202.max_receive_count: expected an integer, got true",
            id="bool-is-not-an-int",
        ),
        pytest.param(
            "rules:\n  TG202:\n    max_receive_count: 0\n",
            ".ttgate.yml:3: rules.TG202.max_receive_count: expected at least 1, got 0",
            id="below-the-minimum",
        ),
        pytest.param(
            "rules:\n  TG301:\n    default_days: 10\n",
            ".ttgate.yml:3: rules.TG301.default_days: expected one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, "
            "180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, got 10",
            id="not-an-allowed-value",
        ),
        pytest.param(
            "rules:\n  TG202:\n    max_receive_count: 2.5\n",
            ".ttgate.yml:3: rules.TG202.max_receive_count: expected an integer, got 2.5",
            id="float-is-not-an-int",
        ),
        pytest.param(
            "rules:\n  TG102:\n    require_lock: 1\n",
            ".ttgate.yml:3: rules.TG102.require_lock: expected true or false, got 1",
            id="int-is-not-a-bool",
        ),
        pytest.param(
            "rules:\n  TG204:\n    metric_name: 5\n",
            ".ttgate.yml:3: rules.TG204.metric_name: expected a string, got 5",
            id="wrong-type-string",
        ),
        pytest.param(
            "rules:\n  TG301:\n    allowed_days:\n      - 7\n      - fourteen\n",
            '.ttgate.yml:5: rules.TG301.allowed_days[1]: expected an integer, got "fourteen"',
            id="list-element-type",
        ),
        pytest.param(
            "rules:\n  TG301:\n    allowed_days: 14\n",
            ".ttgate.yml:3: rules.TG301.allowed_days: expected a list, got 14",
            id="list-expected",
        ),
        pytest.param(
            "rules:\n  TG103:\n    placement: [aws_sqs_queue]\n",
            ".ttgate.yml:3: rules.TG103.placement: expected a mapping of strings to strings, got a list",
            id="mapping-expected",
        ),
        pytest.param(
            "rules:\n  TG401:\n    patterns:\n      lambda: 3\n",
            ".ttgate.yml:4: rules.TG401.patterns.lambda: expected a string, got 3",
            id="mapping-value-type",
        ),
        pytest.param(
            "rules:\n  TG103:\n    placement:\n      aws_sns_topic: 20_infar\n",
            '.ttgate.yml:4: rules.TG103.placement.aws_sns_topic: "20_infar" is not a declared layer '
            '(did you mean "20_infra"?)',
            id="placement-layer-undeclared",
        ),
        pytest.param(
            "rules:\n  TG401: {severity: fatal}\n",
            '.ttgate.yml:2: rules.TG401.severity: unknown severity "fatal" '
            "(choose from notice, warning, error)",
            id="bad-severity",
        ),
        pytest.param(
            "rules:\n  TG401: {severity: 3}\n",
            ".ttgate.yml:2: rules.TG401.severity: expected one of notice, warning, error, got 3",
            id="severity-not-a-string",
        ),
        pytest.param(
            "rules:\n  TG401:\n    enabled: 'no'\n",
            '.ttgate.yml:3: rules.TG401.enabled: expected true or false, got "no"',
            id="enabled-not-bool",
        ),
        pytest.param(
            "rules:\n  TG401: off\n",
            ".ttgate.yml:2: rules.TG401: expected a mapping (severity, enabled, parameters), got false",
            id="rule-settings-not-a-mapping",
        ),
        pytest.param(
            "rules: [TG401]\n",
            ".ttgate.yml:1: rules: expected a mapping of rule IDs to settings, got a list",
            id="rules-not-a-mapping",
        ),
        pytest.param(
            "layers: []\n",
            ".ttgate.yml:1: layers: expected at least one layer",
            id="layers-empty",
        ),
        pytest.param(
            "layers:\n  - {name: a, state_key: a.tfstate}\n  - {name: a, state_key: b.tfstate}\n"
            "rules:\n  TG103: {placement: {}}\n",
            '.ttgate.yml:3: layers[1].name: duplicate layer name "a"',
            id="layers-duplicate-name",
        ),
        pytest.param(
            "layers:\n  - name: a\n    state_key: s.tfstate\n  - name: b\n    state_key: s.tfstate\n"
            "rules:\n  TG103: {placement: {}}\n",
            '.ttgate.yml:5: layers[1].state_key: state key "s.tfstate" is already the key of layer "a"',
            id="layers-duplicate-state-key",
        ),
        pytest.param(
            "layers:\n  - {name: a}\n",
            '.ttgate.yml:2: layers[0]: missing key "state_key"',
            id="layer-missing-key",
        ),
        pytest.param(
            "layers:\n  - name: a\n    state_key: a.tfstate\n    stat_key: x\n",
            '.ttgate.yml:4: layers[0]: unknown key "stat_key" (did you mean "state_key"?)',
            id="layer-unknown-key",
        ),
        pytest.param(
            'stack_path: "environments/{env}"\n',
            ".ttgate.yml:1: stack_path: must contain {layer}",
            id="stack-path-without-layer",
        ),
        pytest.param(
            'stack_path: "{layer}/environments"\n',
            ".ttgate.yml:1: stack_path: must contain {env}",
            id="stack-path-without-env",
        ),
        pytest.param(
            'stack_path: "{layer}/{stage}/{env}"\n',
            ".ttgate.yml:1: stack_path: unknown placeholder {stage}",
            id="stack-path-unknown-placeholder",
        ),
        pytest.param(
            'state_bucket: "{project}-{acount_id}"\n',
            ".ttgate.yml:1: state_bucket: unknown placeholder {acount_id}",
            id="bucket-unknown-placeholder",
        ),
        pytest.param(
            "environments: []\n",
            ".ttgate.yml:1: environments: expected at least one environment",
            id="environments-empty",
        ),
        pytest.param(
            "environments: [dev, dev]\n",
            '.ttgate.yml:1: environments[1]: duplicate environment "dev"',
            id="environments-duplicate",
        ),
        pytest.param(
            "project: 42\n",
            ".ttgate.yml:1: project: expected a non-empty string, got 42",
            id="project-not-a-string",
        ),
        pytest.param(
            "project: x\nversion: 2\n",
            ".ttgate.yml:2: version: expected 1",
            id="version-other-than-1",
        ),
        pytest.param(
            "- project: x\n",
            ".ttgate.yml:1: a policy file must be a mapping",
            id="top-level-list",
        ),
        pytest.param(
            "just a string\n",
            ".ttgate.yml:1: a policy file must be a mapping of keys (project, layers, rules…), "
            'got "just a string"',
            id="top-level-scalar",
        ),
        pytest.param(
            "operations:\n  lock_release_min_age: 5\n",
            '.ttgate.yml:2: operations: unknown setting "lock_release_min_age" '
            '(did you mean "lock_release_min_age_minutes"?)',
            id="operations-unknown-setting",
        ),
        pytest.param(
            "operations:\n  redrive_rate: 5\n",
            '.ttgate.yml:2: operations: unknown setting "redrive_rate" '
            "(expected one of: lock_release_min_age_minutes)",
            id="operations-unknown-setting-without-a-close-match",
        ),
        pytest.param(
            'operations:\n  lock_release_min_age_minutes: "15m"\n',
            '.ttgate.yml:2: operations.lock_release_min_age_minutes: expected an integer, got "15m"',
            id="operations-wrong-type",
        ),
        pytest.param(
            "operations:\n  lock_release_min_age_minutes: -1\n",
            ".ttgate.yml:2: operations.lock_release_min_age_minutes: expected at least 0, got -1",
            id="operations-below-the-minimum",
        ),
        pytest.param(
            "project: x\noperations: [lock_release_min_age_minutes]\n",
            ".ttgate.yml:2: operations: expected a mapping of operation settings, got a list",
            id="operations-not-a-mapping",
        ),
        pytest.param(
            "project: a\nproject: b\n",
            ".ttgate.yml:2: project: duplicate key (first written on line 1)",
            id="duplicate-key",
        ),
        pytest.param(
            "rules:\n  1: {}\n",
            ".ttgate.yml:2: rules: keys must be strings, got 1",
            id="non-string-key",
        ),
    ],
)
def test_validation_errors_name_file_line_and_key(repo: Path, text: str, expected: str) -> None:
    assert load_error(repo, text).startswith(expected)


def test_invalid_yaml_reports_yamls_line_and_column(repo: Path) -> None:
    message = load_error(repo, "project: x\nrules:\n  TG201: {multiplier: 6\n")

    assert message.startswith(".ttgate.yml:4:1: not valid YAML: ")
    assert "expected ',' or '}'" in message


def test_invalid_yaml_tab_indentation(repo: Path) -> None:
    message = load_error(repo, "rules:\n\tTG201: {}\n")

    assert message.startswith(".ttgate.yml:2:1: not valid YAML: ")


def test_missing_explicit_file(repo: Path) -> None:
    with pytest.raises(UserError) as caught:
        load_policy(REGISTRY, explicit=Path("x.yml"))

    assert str(caught.value) == "policy file x.yml does not exist"


def test_explicit_path_is_a_directory(repo: Path) -> None:
    (repo / "conf").mkdir()

    with pytest.raises(UserError, match=r"^policy file conf is a directory"):
        load_policy(REGISTRY, explicit=Path("conf"))


def test_not_utf8(repo: Path) -> None:
    (repo / "p.yml").write_bytes(b"project: \xff\xfe\n")

    with pytest.raises(UserError, match=r"policy file p\.yml is not UTF-8 text"):
        load_policy(REGISTRY, explicit=Path("p.yml"))


def test_error_in_an_extended_file_names_that_file(repo: Path) -> None:
    write(repo / "base.yml", "rules:\n  TG202:\n    max_receive_count: many\n")

    message = load_error(repo, "extends: base.yml\nproject: x\n")

    assert message == 'base.yml:3: rules.TG202.max_receive_count: expected an integer, got "many"'


def test_overriding_a_bad_value_in_a_later_file_fixes_it(repo: Path) -> None:
    write(repo / "base.yml", "rules:\n  TG202:\n    max_receive_count: many\n")

    policy = load(repo, "extends: base.yml\nrules:\n  TG202: {max_receive_count: 4}\n")

    assert policy.settings("TG202").params["max_receive_count"] == 4


def test_placement_error_points_at_the_file_that_wrote_the_value(repo: Path) -> None:
    write(repo / "base.yml", "rules:\n  TG103:\n    placement:\n      aws_sns_topic: 40_data\n")

    message = load_error(repo, "extends: base.yml\nrules:\n  TG103: {severity: error}\n")

    assert message.startswith('base.yml:4: rules.TG103.placement.aws_sns_topic: "40_data" is not a declared')


def test_yaml_aliases_are_refused(repo: Path) -> None:
    # An alias is how a few hundred bytes of YAML expand to gigabytes (issue 10); no policy needs one.
    with pytest.raises(UserError, match=r":4:\d+: not valid YAML: aliases \(\*strict\) are not accepted"):
        load(
            repo,
            """
            rules:
              TG201: &strict {severity: warning}
              TG202:
                <<: *strict
                max_receive_count: 5
            """,
        )


def test_the_real_rule_registry_accepts_the_built_in_policy() -> None:
    from ttgate.gate.rules import RULES

    policy = load_policy(RULES)
    assert set(policy.rules) == set(RULES)
    for rule_id, rule in RULES.items():
        assert set(policy.settings(rule_id).params) == set(rule.parameters), rule_id
