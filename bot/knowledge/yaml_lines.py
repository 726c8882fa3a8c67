"""YAML loading that remembers line numbers, so that errors can name file and line."""

from __future__ import annotations

from typing import Any

import yaml


class LineDict(dict):
    line: int = 0
    key_lines: dict[Any, int]
    duplicate_keys: list[tuple[Any, int]]


class LineList(list):
    line: int = 0
    item_lines: list[int]


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader's rules; libyaml's parser when PyYAML has it (its wheels do), which reads the FAQ
    several times faster than the pure-Python one; both give the nodes their lines."""


def _mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    result.duplicate_keys = []
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in result:
            # PyYAML silently keeps the last value; an editor would lose the first one.
            result.duplicate_keys.append((key, line))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def load_with_lines(text: str) -> Any:
    """Parse YAML like safe_load, returning LineDict/LineList that know their lines."""
    return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader derives from SafeLoader


def line_of(root: Any, loc: tuple) -> int | None:
    """The line of the deepest node on the path `loc` (keys and list indices) that exists."""
    node, line = root, getattr(root, "line", None)
    for part in loc:
        if isinstance(node, LineDict) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.item_lines[part]
            node = node[part]
        else:
            break
    return line


def duplicate_keys(node: Any) -> list[tuple[Any, int]]:
    """Every key written twice in the same mapping, anywhere below `node`."""
    found: list[tuple[Any, int]] = []
    if isinstance(node, LineDict):
        found.extend(node.duplicate_keys)
        for value in node.values():
            found.extend(duplicate_keys(value))
    elif isinstance(node, LineList):
        for value in node:
            found.extend(duplicate_keys(value))
    return found
