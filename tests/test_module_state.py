"""No module holds state: what lives as long as a process (the store, the models, worker threads
and processes, caches) is built by the composition root (``app.composition``) and handed down,
so two callers never fill a module-level cache twice or see each other's leftovers.

Read from the source (AST), not by importing it: a module-level container, lock, executor or
instance of a class, a ``functools.cache``/``lru_cache`` on a function, and a ``global``
statement are all state. UPPER_CASE names bound to literals are constants by convention and
are never mutated. The few exceptions are listed below, each with why it must stay.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from paths import ROOT

PACKAGES = ("ingest", "retriever", "app", "evals")
COMPOSITION_ROOT = "app.composition"

ALLOWED = {
    "ingest.lock._locks": "a lock file is held per process (flock), so the registry of held "
    "locks must be process-wide for two stores on one index in one process to exclude each other",
    "ingest.lock._registry": "guards ingest.lock._locks",
    "ingest.runtime.cpu.native_bf16": "a fact of the CPU, asked of torch once",
    "ingest.runtime.cpu.cpu_flags": "facts of the CPU, read from /proc/cpuinfo once",
    "ingest.text.stemming._stemmer": "tantivy's stemmer, built once: it holds no state",
    "ingest.text.stemming.stem": "memoizes a pure function (same word, same stem)",
    "ingest.text.words.stem": "memoizes a pure function (same word, same stem)",
    "app.web.render.TEMPLATES": "the Jinja2 environment, built once from the packaged "
    "templates and only read after",
}
"""``module.name`` -> why it may hold state outside the composition root."""

CONTAINER_CALLS = {
    "dict", "list", "set", "bytearray", "defaultdict", "OrderedDict", "deque", "Counter",
    "ChainMap",
}  # fmt: skip
"""Calls that build a container: state unless bound to a constant's name, like a display."""
STATE_CALLS = {
    "WeakValueDictionary", "WeakKeyDictionary", "WeakSet", "Queue", "SimpleQueue", "local",
    "Lock", "RLock", "Event", "Condition", "Semaphore", "BoundedSemaphore",
    "ThreadPoolExecutor", "ProcessPoolExecutor", "Pool", "ContextVar",
}  # fmt: skip
"""Calls whose result is state whatever the name it is bound to."""
IMMUTABLE_CALLS = {
    "Path", "PurePath", "PurePosixPath", "frozenset", "tuple", "MappingProxyType", "TypeVar",
    "ParamSpec", "NewType", "namedtuple", "Decimal", "Fraction", "StrEnum", "IntEnum", "Enum",
}  # fmt: skip
"""Capitalised calls that build values, not state."""
CACHES = {"cache", "lru_cache"}
MUTABLE_DISPLAYS = (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)


def modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            yield name, path


def _callee(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _is_constant_name(name: str) -> bool:
    """UPPER_CASE (a constant by convention) or a dunder such as ``__all__``."""
    return name.lstrip("_").isupper() or (name.startswith("__") and name.endswith("__"))


def _holds_state(name: str, value: ast.expr | None) -> bool:
    if value is None:
        return False
    if isinstance(value, MUTABLE_DISPLAYS):
        return not _is_constant_name(name)
    if isinstance(value, ast.Call):
        callee = _callee(value)
        if callee in CONTAINER_CALLS:
            return not _is_constant_name(name)
        if callee in STATE_CALLS:
            return True
        return callee[:1].isupper() and callee not in IMMUTABLE_CALLS
    return False


def _cached(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name in CACHES:
            return True
    return False


def state_in(tree: ast.Module) -> Iterator[tuple[str, int]]:
    """(name, line) of every piece of module-level state in ``tree``."""
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and _holds_state(target.id, node.value):
                    yield target.id, node.lineno
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if _holds_state(node.target.id, node.value):
                yield node.target.id, node.lineno
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _cached(node):
            yield node.name, node.lineno
    for walked in ast.walk(tree):
        if isinstance(walked, ast.Global):
            for name in walked.names:
                yield name, walked.lineno


def module_state() -> list[str]:
    found = []
    for module, path in modules():
        if module == COMPOSITION_ROOT:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for name, line in state_in(tree):
            qualified = f"{module}.{name}"
            if qualified not in ALLOWED:
                found.append(f"{path.relative_to(ROOT)}:{line} {qualified}")
    return found


def test_no_module_holds_state_outside_the_composition_root() -> None:
    assert module_state() == []


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("_cache: dict[str, int] = {}", id="annotated-dict"),
        pytest.param("_seen = set()", id="set-call"),
        pytest.param("_worker = ThreadPoolExecutor(max_workers=1)", id="executor"),
        pytest.param("_shared = ParseWorker()", id="instance"),
        pytest.param("LOCK = threading.Lock()", id="constant-named-lock"),
        pytest.param("@lru_cache(maxsize=1)\ndef shared(): ...", id="lru-cache"),
        pytest.param("@functools.cache\ndef shared(): ...", id="functools-cache"),
        pytest.param("def f():\n    global _x\n    _x = 1", id="global"),
    ],
)
def test_each_kind_of_state_is_found(source: str) -> None:
    assert list(state_in(ast.parse(source)))


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("NAMES = {'a': 1}", id="constant-dict"),
        pytest.param("_PUNCT = set('.,;')", id="constant-set-call"),
        pytest.param("__all__ = ['a']", id="dunder-all"),
        pytest.param("WORDS = frozenset({'a'})", id="frozenset"),
        pytest.param("ROOT = Path(__file__).parent", id="path"),
        pytest.param("PATTERN = re.compile('a+')", id="regex"),
        pytest.param("def f():\n    cache = {}\n    return cache", id="local"),
    ],
)
def test_constants_and_locals_are_not_state(source: str) -> None:
    assert not list(state_in(ast.parse(source)))
