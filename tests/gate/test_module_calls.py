"""The gate's public reading of module calls, which the rollback follows."""

from __future__ import annotations

from ttgate.gate.module_calls import ModuleCall, module_calls


def test_literal_and_computed_sources_in_file_order() -> None:
    text = (
        'module "queue" {\n  source = "../modules/queue"\n}\n'
        'module "remote" {\n  source = "git::https://example.com/m.git"\n}\n'
        'module "computed" {\n  source = "${var.root}/m"\n}\n'
        'module "no_source" {\n  count = 1\n}\n'
    )
    calls = module_calls(text)
    assert calls is not None
    assert [(call.line, call.source) for call in calls] == [
        (2, "../modules/queue"),
        (5, "git::https://example.com/m.git"),
        (8, None),
    ]
    assert calls[2].written == '"${var.root}/m"'
    assert isinstance(calls[0], ModuleCall)


def test_a_file_that_cannot_be_parsed_is_none() -> None:
    assert module_calls('module "x" {\n  source = \n') is None
    assert module_calls("") == []
