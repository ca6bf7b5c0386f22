"""YAML as the ``env`` and ``env-file`` inputs are read: every plain scalar kept as the string
written (``true``, ``08`` and ``1e3`` stay strings), duplicate keys refused. Its own module so
that PyYAML is imported only when such an input is given."""

from __future__ import annotations

from typing import Any

import yaml

from ci_deploy.errors import InputError


class _StringLoader(yaml.SafeLoader):
    """Safe YAML with every plain scalar kept as the string written, and duplicate keys refused."""


_StringLoader.yaml_implicit_resolvers = {}


def _mapping_without_duplicates(loader: _StringLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(
                None, None, "a key is a list or map; keys must be variable names", key_node.start_mark
            )
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node)


_StringLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def load_strings(text: str, *, input_name: str) -> Any:
    """The document, or an InputError naming the input and the line."""
    try:
        return yaml.load(text, Loader=_StringLoader)  # a SafeLoader subclass
    except RecursionError:
        raise InputError("nested too deeply; expected NAME: value lines", input_name=input_name) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or "invalid YAML"
        raise InputError(f"not valid YAML{where}: {problem}", input_name=input_name) from None
