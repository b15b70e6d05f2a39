"""DEAP prefix lists <-> PipelineTree, so nothing outside ``gp/`` ever sees a DEAP object."""

from __future__ import annotations

from deap import gp

from gp_automl.gp.primitives import STACK_SUFFIX, Individual, PrimitiveSet
from gp_automl.tree import COMBINE, PipelineTree


def to_tree(individual: list) -> PipelineTree:
    tree, end = _read(individual, 0)
    assert end == len(individual), "trailing nodes in a DEAP individual"
    return tree


def _read(nodes: list, index: int) -> tuple[PipelineTree, int]:
    node = nodes[index]
    if not isinstance(node, gp.Primitive):
        return PipelineTree(node.name), index + 1  # Matrix terminals are data leaves (X, X_ordinal, ...)
    op = node.name.removesuffix(STACK_SUFFIX)
    index += 1
    children, params = [], {}
    for position in range(node.arity):
        if node.name == COMBINE or position == 0:
            child, index = _read(nodes, index)
            children.append(child)
        else:
            param = node.args[position].__name__.split("__", 1)[1]
            params[param] = nodes[index].value
            index += 1
    return PipelineTree.node(op, params, *children), index


def to_individual(tree: PipelineTree, primitives: PrimitiveSet) -> Individual:
    return Individual(_write(tree, primitives, root=True))


def _write(tree: PipelineTree, primitives: PrimitiveSet, root: bool) -> list:
    pset = primitives.pset
    if tree.is_data:
        if tree.op not in primitives.data_leaves:
            raise ValueError(f"data leaf {tree.op} is not one of this search's {', '.join(primitives.data_leaves)}")
        return [pset.mapping[tree.op]]
    name = tree.op
    if tree.op != COMBINE and primitives.catalog[tree.op].is_model and not root:
        name += STACK_SUFFIX
    if name not in pset.mapping:
        raise ValueError(f"operator {name} is not in catalog {primitives.catalog.name}")
    nodes = [pset.mapping[name]]
    for child in tree.children:
        nodes += _write(child, primitives, root=False)
    params = dict(tree.params)
    for param, _ in primitives.catalog[tree.op].params if tree.op != COMBINE else ():
        ephemeral_class = primitives.ephemerals[(tree.op, param)]
        terminal = ephemeral_class.__new__(ephemeral_class)
        terminal.value = params[param]
        nodes.append(terminal)
    return nodes
