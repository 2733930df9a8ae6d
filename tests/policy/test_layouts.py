"""Layouts in the policy: `layouts:` entries, how a root's path matches one, and every key validated."""

from __future__ import annotations

from pathlib import Path

import pytest

from ttgate.errors import UserError
from ttgate.gate.rules import RULES
from ttgate.policy import Policy, load_policy

LAYOUTS = """\
layouts:
  - name: components
    roots: "components/*"
    var_files: ["env/{env}.tfvars"]
    layer_map: {network: 10_core, queues: 20_infra, "apps/api": 30_app}
  - name: services
    roots: "services/{layer}"
    workspace: "{env}"
  - name: envs
    roots: "envs/{env}"
  - name: tools
    roots: "tools/*"
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def load(repo: Path, text: str) -> Policy:
    (repo / ".ttgate.yml").write_text(text, encoding="utf-8")
    return load_policy(RULES, explicit=repo / ".ttgate.yml")


def identity(policy: Policy, directory: str) -> tuple[str | None, str | None, str | None] | None:
    found = policy.layout_of(directory)
    return None if found is None else (found.layout.name, found.layer, found.env)


@pytest.mark.parametrize(
    ("directory", "expected"),
    [
        # stack_path, the runbook's layout, first and unchanged
        ("deploy/20_infra/environments/dev", ("stack_path", "20_infra", "dev")),
        # layer by explicit map: a directory name, or consecutive directories (the longest key wins)
        ("infra/components/network", ("components", "10_core", None)),
        ("components/queues", ("components", "20_infra", None)),
        ("apps/api/components/api", ("components", "30_app", None)),
        ("components/billing", ("components", None, None)),  # matched, no layer
        # layer by path pattern
        ("services/30_app", ("services", "30_app", None)),
        ("services/40_data", None),  # {layer} matches only a declared layer
        # environment from the path, no layer
        ("envs/prod", ("envs", None, "prod")),
        ("tools/lint", ("tools", None, None)),
        ("components/network/extra", None),  # matched at the end of the path only
        ("other", None),
    ],
)
def test_a_root_matches_the_first_layout_of_its_path(
    repo: Path, directory: str, expected: tuple[str | None, str | None, str | None] | None
) -> None:
    assert identity(load(repo, LAYOUTS), directory) == expected


def test_without_layouts_only_stack_path_describes_roots() -> None:
    policy = load_policy(RULES)

    assert [layout.name for layout in policy.all_layouts] == ["stack_path"]
    assert identity(policy, "components/network") is None
    assert policy.stack_identity("deploy/10_core/environments/prod") == ("10_core", "prod")


def test_workspace_per_environment(repo: Path) -> None:
    policy = load(
        repo,
        'layouts:\n  - {roots: "a/*", workspace: "app-{env}"}\n'
        '  - {roots: "b/*", workspace: {dev: development, prod: production}}\n'
        '  - {roots: "c/*", workspace: default}\n',
    )
    a, b, c = policy.layouts

    assert (a.workspace_for("dev"), a.workspace_for(None)) == ("app-dev", None)
    assert (b.workspace_for("prod"), b.workspace_for("stage")) == ("production", None)
    assert (c.workspace_for("dev"), c.workspace_for(None)) == ("default", "default")
    assert a.name == "layouts[0]"


def test_workspace_template_with_the_root_name_and_backend_config(repo: Path) -> None:
    policy = load(
        repo,
        'layouts:\n  - {roots: "apps/*", workspace: "{name}-{env}", '
        'backend_config: ["env/{env}.s3.tfbackend", "/backend/{name}.hcl"]}\n',
    )
    (layout,) = policy.layouts

    assert (layout.workspace_for("dev", "orders"), layout.workspace_for("dev")) == ("orders-dev", None)
    assert layout.backend_config == ("env/{env}.s3.tfbackend", "/backend/{name}.hcl")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "layouts: {roots: x}\n", ".ttgate.yml:1: layouts: expected a list of layouts", id="not-a-list"
        ),
        pytest.param(
            "layouts:\n  - {root: x}\n",
            '.ttgate.yml:2: layouts[0]: unknown key "root" (did you mean "roots"?)',
            id="unknown-key",
        ),
        pytest.param(
            "layouts:\n  - {var_files: []}\n", '.ttgate.yml:2: layouts[0]: missing key "roots"', id="no-roots"
        ),
        pytest.param(
            'layouts:\n  - {roots: "{stage}/*"}\n',
            ".ttgate.yml:2: layouts[0].roots: unknown placeholder {stage}",
            id="roots-placeholder",
        ),
        pytest.param(
            'layouts:\n  - {roots: "{env}/{env}"}\n',
            ".ttgate.yml:2: layouts[0].roots: must contain only one {env}",
            id="roots-two-envs",
        ),
        pytest.param(
            'layouts:\n  - {roots: "../x"}\n',
            ".ttgate.yml:2: layouts[0].roots: must be relative, without ..",
            id="roots-outside",
        ),
        pytest.param(
            'layouts:\n  - {roots: x, var_files: "env/{env}.tfvars"}\n',
            ".ttgate.yml:2: layouts[0].var_files: expected a list of tfvars paths",
            id="var-files-not-a-list",
        ),
        pytest.param(
            'layouts:\n  - {roots: x, var_files: ["env/{env}.json"]}\n',
            ".ttgate.yml:2: layouts[0].var_files[0]: expected a .tfvars or .tfvars.json file",
            id="var-file-not-tfvars",
        ),
        pytest.param(
            'layouts:\n  - {roots: x, var_files: ["{stage}.tfvars"]}\n',
            ".ttgate.yml:2: layouts[0].var_files[0]: unknown placeholder {stage} (use {env}, {name})",
            id="var-file-placeholder",
        ),
        pytest.param(
            'layouts:\n  - {roots: x, workspace: "{layer}"}\n',
            ".ttgate.yml:2: layouts[0].workspace: unknown placeholder {layer} (use {env}, {name})",
            id="workspace-placeholder",
        ),
        pytest.param(
            "layouts:\n  - roots: x\n    workspace: {dve: development}\n",
            '.ttgate.yml:3: layouts[0].workspace: unknown environment "dve" (did you mean "dev"?)',
            id="workspace-unknown-env",
        ),
        pytest.param(
            "layouts:\n  - roots: x\n    workspace: [dev]\n",
            ".ttgate.yml:3: layouts[0].workspace: expected a workspace name",
            id="workspace-list",
        ),
        pytest.param(
            "layouts:\n  - roots: x\n    layer_map: {network: 10_cor}\n",
            '.ttgate.yml:3: layouts[0].layer_map.network: unknown layer "10_cor" (did you mean "10_core"?)',
            id="layer-map-unknown-layer",
        ),
        pytest.param(
            "layouts:\n  - roots: x\n    layer_map: [network]\n",
            ".ttgate.yml:3: layouts[0].layer_map: expected a mapping of directories to layers",
            id="layer-map-list",
        ),
        pytest.param(
            'layouts:\n  - roots: x\n    backend_config: "backend.conf"\n',
            ".ttgate.yml:3: layouts[0].backend_config: expected a list of backend-config files",
            id="backend-config-not-a-list",
        ),
        pytest.param(
            'layouts:\n  - roots: x\n    backend_config: ["{layer}.conf"]\n',
            ".ttgate.yml:3: layouts[0].backend_config[0]: unknown placeholder {layer} (use {env}, {name})",
            id="backend-config-placeholder",
        ),
        pytest.param(
            "layouts:\n  - {name: a, roots: x}\n  - {name: a, roots: y}\n",
            '.ttgate.yml:3: layouts[1].name: duplicate layout name "a"',
            id="duplicate-name",
        ),
    ],
)
def test_a_wrong_layout_is_one_line_naming_file_line_and_key(repo: Path, text: str, message: str) -> None:
    with pytest.raises(UserError) as caught:
        load(repo, text)

    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith(message), str(caught.value)
