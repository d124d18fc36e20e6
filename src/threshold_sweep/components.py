"""Components named by `_target_` (Hydra's convention): checked, located and bound to their keys.

A config node such as `model` or `sampling` names a function by its dotted path in `_target_`;
its other keys are that function's keyword arguments. `bind` returns the function with those
arguments bound (`hydra.utils.instantiate(node, _partial_=True)`), and the stage calls it with
what only the run knows (the input shape, the training rows). Every problem with the path is a
`UserError` of the form `<key>._target_=<path>: <problem>; <fix>`.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import traceback
from importlib.machinery import PathFinder
from types import ModuleType
from typing import Any

from threshold_sweep.errors import UserError

PATH_FIX = "install the package or add its folder to PYTHONPATH (e.g. PYTHONPATH=. threshold-sweep)"


class TargetError(Exception):
    """A `_target_` that does not name a callable: the problem and its fix."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem}; {fix}")
        self.problem = problem
        self.fix = fix


def target_error(key: str, path: str, problem: str, fix: str) -> UserError:
    """The one-line error for a component: `<key>._target_=<path>: <problem>; <fix>`."""
    return UserError(f"{key}._target_={path}: {problem}; {fix}")


def first_line(error: BaseException, limit: int = 200) -> str:
    """`Type: first line of the message` (cut to `limit` characters), for one-line errors."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def raised_at(error: BaseException, in_file: str | None = None) -> str:
    """` at file:line` of the innermost frame of `error` (in `in_file` if given), or ''."""
    frames = traceback.extract_tb(error.__traceback__)
    if in_file is not None:
        frames = [frame for frame in frames if frame.filename == in_file]
    return f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""


def source_file(function: Any) -> str | None:
    """The file a function is defined in (None for builtins and the like)."""
    import inspect

    try:
        return inspect.getsourcefile(function)
    except TypeError:
        return None


def _dotted(path: str) -> list[str]:
    """The parts of a dotted path, or TargetError when it is not one."""
    parts = str(path).split(".")
    if len(parts) < 2 or not all(part.isidentifier() for part in parts):
        raise TargetError(
            "not a dotted path to a function", "write module.function, e.g. mypkg.models.build"
        )
    return parts


def _find_spec(name: str) -> Any:
    """The top-level module's import spec (None if absent), without running any code."""
    try:
        return importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None


def check_target(path: str) -> None:
    """Raise TargetError for what is wrong with `path` that can be seen without running code.

    Finds the top-level module and descends through packages by their folders only, so
    nothing is imported (no TensorFlow for `--help` or `--cfg`); attributes are checked later.
    """
    parts = _dotted(path)
    spec = _find_spec(parts[0])
    if spec is None:
        raise TargetError(f"no module named {parts[0]!r} on the Python path", PATH_FIX)
    for depth in range(1, len(parts)):
        if spec.submodule_search_locations is None:
            return  # a module: the remaining parts are attributes, checked on import
        child = PathFinder.find_spec(
            ".".join(parts[: depth + 1]), list(spec.submodule_search_locations)
        )
        if child is None:
            return  # perhaps an attribute of the package: checked on import
        spec = child
    raise TargetError(
        f"{path} is a module, not a function in it",
        f"name a function in it: {path}.<function>",
    )


def _import(name: str) -> ModuleType | None:
    """The module `name`, None if it does not exist; TargetError if importing it fails."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name and (name == error.name or name.startswith(error.name + ".")):
            return None
        raise TargetError(
            f"importing {name} failed: {first_line(error)}{raised_at(error)}",
            "install what it imports",
        ) from error
    except Exception as error:  # the user's module ran and raised
        raise TargetError(
            f"importing {name} failed: {first_line(error)}{raised_at(error)}",
            "fix that module",
        ) from error


def _attribute(owner: Any, owner_name: str, part: str) -> Any:
    """`owner.part`, a submodule of that name, or TargetError naming close matches."""
    if hasattr(owner, part):
        return getattr(owner, part)
    if isinstance(owner, ModuleType):
        module = _import(f"{owner_name}.{part}")
        if module is not None:
            return module
    names = [name for name in dir(owner) if not name.startswith("_")]
    close = difflib.get_close_matches(part, names, n=1)
    hint = f"did you mean {owner_name}.{close[0]}?" if close else f"check the name in {owner_name}"
    raise TargetError(f"{owner_name} has no attribute {part!r}", hint)


def locate(path: str) -> Any:
    """Import and return the callable that `path` names, or raise TargetError saying why not."""
    parts = _dotted(path)
    found: Any = _import(parts[0])
    if found is None:
        raise TargetError(f"no module named {parts[0]!r} on the Python path", PATH_FIX)
    for depth, part in enumerate(parts[1:], start=1):
        found = _attribute(found, ".".join(parts[:depth]), part)
    if not callable(found):
        raise TargetError(
            f"{path} is of type {type(found).__name__}, not a function",
            "point it to a function (or class)",
        )
    return found


def bind(node: Any, key: str) -> Any:
    """The node's `_target_` with its other keys bound as keyword arguments (a partial)."""
    from hydra.utils import instantiate

    path = node["_target_"]
    try:
        locate(path)
    except TargetError as error:
        raise target_error(key, path, error.problem, error.fix) from error
    return instantiate(node, _partial_=True, _convert_="all")
