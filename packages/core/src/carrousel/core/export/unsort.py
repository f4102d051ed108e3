"""Drops the length sort that ``pack_padded_sequence`` leaves in a TorchScript ONNX export.

``pack_padded_sequence(..., enforce_sorted=False)`` sorts the batch by length (a ``TopK`` of the lengths),
gathers the inputs and the lengths into that order, and gathers the outputs and states back by the inverse
permutation (built with a ``ScatterElements``). The ONNX ``LSTM``/``GRU``/``RNN`` node with
``sequence_lens`` takes its rows in any order, so both gathers are copies that cancel: at batch 64 the one
of the outputs alone (``(B, T, D*H)``) took about 7% of the int8 sentiment graph's time in ONNX Runtime.

:func:`drop_length_sort` removes every ``Gather`` by a sort's indices or by their inverse (the consumers
read the ungathered tensor; one that gives a graph output becomes an ``Identity``), then the sort and the
inverse when nothing else reads them. It applies only where every reader of the sort's indices is such a
``Gather`` or the inverse's ``ScatterElements`` and every reader of the inverse is a ``Gather`` (a ``Cast``
or a ``Shape`` of either aside): a graph that uses the order otherwise, or holds a subgraph, is returned
unchanged. The rows then stay in input order throughout, which is exact wherever the rows are independent
(the recurrent node with ``sequence_lens``, per-row shape ops); the export's check against eager
(:func:`~carrousel.core.export.onnx.verify_onnx`) runs on the rewritten file.

Needs the ``carrousel-core[export]`` extra, imported at the point of use.
"""

from __future__ import annotations

from carrousel.core.export.runtime import EXTRA
from carrousel.core.optional import require

__all__ = ["drop_length_sort"]


def drop_length_sort(blob: bytes) -> bytes:
    """``blob`` without the batch sort of packed sequences (see the module); unchanged when it has none."""
    onnx = require("onnx", EXTRA, "ONNX export")
    model = onnx.load_from_string(blob)
    graph = model.graph
    if any(
        a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS)
        for n in graph.node
        for a in n.attribute
    ):
        return blob  # a subgraph (If, Loop, Scan) may read the names renamed here: left as it is
    nodes = [onnx.NodeProto() for _ in graph.node]  # copies: one Python object per node throughout
    for mine, theirs in zip(nodes, graph.node, strict=True):
        mine.CopyFrom(theirs)
    readers: dict[str, list] = {}
    for node in nodes:
        for name in node.input:
            readers.setdefault(name, []).append(node)
    outputs = {o.name for o in graph.output}
    drop: list = []
    rename: dict[str, str] = {}
    for node in nodes:
        if node.op_type != "TopK" or len(node.output) < 2:
            continue
        order = _with_casts({node.output[1]}, readers)
        inverses = [n for p in order for n in readers.get(p, []) if n.op_type == "ScatterElements"]
        perms = order | _with_casts({n.output[0] for n in inverses}, readers)
        gathers = [n for p in perms for n in readers.get(p, []) if n.op_type == "Gather" and n.input[1] == p]
        known = {id(n) for n in (*gathers, *inverses)}
        others = [
            n
            for p in perms
            for n in readers.get(p, [])
            if id(n) not in known
            and n.op_type != "Shape"
            and not (n.op_type == "Cast" and n.output[0] in perms)
        ]
        if not gathers or others or node.output[0] in outputs or perms & outputs:
            continue
        for gather in gathers:
            if gather.output[0] in outputs:  # a graph output keeps its name: a copy of the rows as they are
                gather.op_type = "Identity"
                del gather.input[1:]
                del gather.attribute[:]
            else:
                drop.append(gather)
        rename[node.output[0]] = node.input[0]  # the sorted lengths: the lengths as given
    if not drop and not rename:
        return blob
    rename.update({n.output[0]: n.input[0] for n in drop})
    dropped = {id(n) for n in drop}
    kept = [n for n in nodes if id(n) not in dropped]
    for node in kept:
        for i, name in enumerate(node.input):
            while name in rename:
                name = rename[name]
            node.input[i] = name
    del graph.node[:]
    graph.node.extend(_live(kept, outputs))
    return model.SerializeToString()


def _with_casts(names: set[str], readers: dict[str, list]) -> set[str]:
    """``names`` and the outputs of the ``Cast`` chains that read them."""
    out, todo = set(names), list(names)
    while todo:
        for n in readers.get(todo.pop(), []):
            if n.op_type == "Cast" and n.output[0] not in out:
                out.add(n.output[0])
                todo.append(n.output[0])
    return out


def _live(nodes: list, outputs: set[str]) -> list:
    """``nodes`` less those whose outputs nothing reads (repeated: a chain of dead nodes goes whole)."""
    while True:
        read = {name for n in nodes for name in n.input} | outputs
        live = [n for n in nodes if any(o in read for o in n.output if o)]
        if len(live) == len(nodes):
            return live
        nodes = live
