"""YAML loading that remembers the line of every mapping key and sequence item.

Decimals stay exact (a bare ``0.05`` loads as ``Decimal("0.05")``, never a float) and YAML 1.1
sexagesimal numbers load as strings, so ``10:00`` is a time of day, not the integer 600.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import yaml

__all__ = ["Path", "load_with_lines", "nearest_line"]

Path = tuple[str | int, ...]


class _ExactLoader(yaml.SafeLoader):
    def construct_yaml_float(self, node: yaml.ScalarNode) -> Any:
        text = str(self.construct_scalar(node)).replace("_", "")
        if ":" in text or text.lower().lstrip("+-") in {".inf", ".nan"}:
            return text
        return Decimal(text)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:
        text = str(self.construct_scalar(node))
        return text if ":" in text else super().construct_yaml_int(node)


_ExactLoader.add_constructor("tag:yaml.org,2002:float", _ExactLoader.construct_yaml_float)
_ExactLoader.add_constructor("tag:yaml.org,2002:int", _ExactLoader.construct_yaml_int)


def load_with_lines(text: str) -> tuple[Any, dict[Path, int]]:
    """The document's data and the 1-based line of each key path (the root is line 1)."""
    loader = _ExactLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    lines: dict[Path, int] = {(): 1}
    if node is not None:
        _record(node, (), lines)
    return data, lines


def _record(node: yaml.Node, path: Path, lines: dict[Path, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, key.value)
            lines[child] = key.start_mark.line + 1
            _record(value, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            lines[child] = item.start_mark.line + 1
            _record(item, child, lines)


def nearest_line(lines: dict[Path, int], path: Path) -> int:
    """The line of ``path``, or of its closest recorded ancestor (a missing field: its parent)."""
    for end in range(len(path), -1, -1):
        key = tuple(str(part) if isinstance(part, str) else part for part in path[:end])
        if key in lines:
            return lines[key]
    return 1
