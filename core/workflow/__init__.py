"""Workflows: the YAML document model, loading and saving, and reference parsing."""

from lamella.core.workflow._models import (
    SCHEMA_VERSION,
    Group,
    Node,
    Workflow,
    WorkflowInput,
    check_colour,
)
from lamella.core.workflow._refs import (
    ModuleRef,
    WireRef,
    check_node_id,
    parse_module_ref,
    parse_wire_ref,
)
from lamella.core.workflow._yaml import (
    dump_workflow,
    load_workflow,
    parse_value,
    parse_workflow,
    save_workflow,
    workflow_from_data,
)

__all__ = [
    "SCHEMA_VERSION",
    "Group",
    "ModuleRef",
    "Node",
    "WireRef",
    "Workflow",
    "WorkflowInput",
    "check_colour",
    "check_node_id",
    "dump_workflow",
    "load_workflow",
    "parse_module_ref",
    "parse_value",
    "parse_wire_ref",
    "parse_workflow",
    "save_workflow",
    "workflow_from_data",
]
