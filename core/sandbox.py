"""A jinja2 sandbox whose templates cost nothing: bounded time, size, depth; no loaders.

Campaign and FAQ answer templates are written by admins and rendered by the bot. The
stock ``SandboxedEnvironment`` stops attribute escapes but not work: nested ``range``
loops, an ``append`` loop, a recursive macro or ``'x' * 10**9`` hang or crash the
process. Here every template

- is a single template: ``{% include %}``, ``{% import %}``, ``{% from %}`` and
  ``{% extends %}`` are refused when it is compiled, with a message saying so;
- renders under a budget: a deadline in this thread's CPU time (``RENDER_SECONDS``, or
  a caller's shorter ``limits`` shared by many renders; CPU time, so a template is not
  refused because another thread held the interpreter or the machine was busy), a
  number of steps (calls, attribute look-ups,
  operators, loop iterations) and a number of characters emitted inside loops and by
  expressions; nested calls (macros, recursive loops) go at most ``MAX_DEPTH``
  deep;
- builds no value longer than ``MAX_SIZE`` characters or items: operators, calls and
  filters that could (``*``, ``**``, ``~``, ``replace``, ``join``, ``center``, format
  widths, ...) are checked before they run, every result after.

Loops are bounded by rewriting the parsed template: each ``for`` iterates through a
filter that charges the budget per item (with the literal text of its body), and each
expression's output is charged by its length. A template over its budget raises
``TemplateLimitError`` (a ``TemplateRuntimeError``), never ``RecursionError``.
"""

from __future__ import annotations

import gc
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sized
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateRuntimeError, TemplateSyntaxError, nodes
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import pass_context

MAX_SIZE = 100_000  # characters of a string, items of a list, dict or set
MAX_INT_BITS = 4_096  # 10**1233: any number a template has a use for
MAX_DEPTH = 20  # nested macro / recursive-loop calls
RENDER_SECONDS = 0.25  # one render, unless a caller's ``limits`` says otherwise
RENDER_STEPS = 200_000
RENDER_EMITTED = 1_000_000  # characters emitted by loops and expressions
CLOCK_EVERY = 64  # steps between looks at the clock: a look costs ten steps' work


class _Collections(threading.local):
    """This thread's CPU time spent in the garbage collector, which runs inside whatever
    code allocates: a collection of a big heap (the models) during a render is not the
    template's work."""

    started = 0.0
    spent = 0.0


_gc = _Collections()


def _on_gc(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _gc.started = time.thread_time()
    else:
        _gc.spent += time.thread_time() - _gc.started


gc.callbacks.append(_on_gc)


def _clock() -> float:
    return time.thread_time() - _gc.spent


FORBIDDEN = {
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "from ... import",
    nodes.Extends: "extends",
}
# Filters a message template has a use for; the others (xmlattr, urlize, tojson, ...) are
# unknown here, so using one is a clear compile error.
ALLOWED_FILTERS = frozenset(
    {
        *("abs", "attr", "batch", "capitalize", "center", "count", "d", "default"),
        *("dictsort", "e", "escape", "first", "float", "format", "groupby", "indent"),
        *("int", "items", "join", "last", "length", "list", "lower", "map", "max", "min"),
        *("reject", "rejectattr", "replace", "reverse", "round", "safe", "select"),
        *("selectattr", "slice", "sort", "string", "striptags", "sum", "title", "trim"),
        *("truncate", "unique", "upper", "wordcount", "wordwrap"),
    }
)
_DIGITS = re.compile(r"\d+")


class TemplateLimitError(TemplateRuntimeError):
    """The template would take too long, too much memory or too deep a recursion."""


@dataclass(slots=True)
class Budget:
    seconds: float
    deadline: float
    steps: int
    emitted: int
    depth: int = 0
    next_look: int = 0  # read the clock when the steps left fall to this

    def charge(self, steps: int = 1, emitted: int = 0) -> None:
        self.steps -= steps
        self.emitted -= emitted
        if self.steps < 0:
            raise TemplateLimitError("the template does too much work (too many steps)")
        if self.emitted < 0:
            raise TemplateLimitError("the template writes too much text")
        if self.steps > self.next_look:
            return
        self.next_look = self.steps - CLOCK_EVERY
        if _clock() > self.deadline:
            raise TemplateLimitError(
                f"the template takes too long to render (over {self.seconds:g} s)"
            )


_budget: ContextVar[Budget | None] = ContextVar("template_budget", default=None)
_deadline: ContextVar[tuple[float, float] | None] = ContextVar("template_deadline", default=None)


@contextmanager
def limits(seconds: float) -> Iterator[None]:
    """One deadline for every render inside the block (e.g. a whole save-time check).

    Each render still gets its own steps, characters and ``RENDER_SECONDS`` at most.
    """
    token = _deadline.set((seconds, _clock() + seconds))
    try:
        yield
    finally:
        _deadline.reset(token)


def _render_budget() -> Budget:
    seconds, deadline = RENDER_SECONDS, _clock() + RENDER_SECONDS
    outer = _deadline.get()
    if outer is not None and outer[1] < deadline:
        seconds, deadline = outer
    return Budget(seconds, deadline, RENDER_STEPS, RENDER_EMITTED, next_look=RENDER_STEPS)


def _active() -> Budget:
    budget = _budget.get()
    if budget is None:  # LimitedTemplate.render sets one; a bare root_render_func does not
        raise TemplateLimitError("template rendered without a budget")
    return budget


def _size(value: object) -> int:
    return len(value) if isinstance(value, Sized) else 0


def check_size(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > MAX_INT_BITS:
            raise TemplateLimitError("the template builds a number too large")
    elif _size(value) > MAX_SIZE:
        raise TemplateLimitError(
            f"the template builds a value of {_size(value)} items; at most {MAX_SIZE}"
        )
    return value


def _refuse_over(estimate: int) -> None:
    if estimate > MAX_SIZE:
        raise TemplateLimitError(f"the template would build a value of {estimate} characters")


def _widest_field(text: object) -> int:
    return max((int(d) for d in _DIGITS.findall(text)), default=0) if isinstance(text, str) else 0


def _estimate(name: str, obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    """How big the result of a (string) operation named ``name`` can get, before it runs."""
    values = [*args, *kwargs.values()]
    base = _size(obj)
    if name == "replace" and len(values) >= 2:
        count = values[2] if len(values) > 2 and isinstance(values[2], int) else -1
        hits = base + 1 if count < 0 else min(count, base + 1)
        return base + hits * _size(values[1])
    if name == "join":  # str.join(parts) or the filter parts|join(sep); parts are a list
        sep, parts = (
            (obj, values[0] if values else ())
            if isinstance(obj, str)
            else (
                values[0] if values else "",
                obj,
            )
        )
        count = _size(parts)
        return count * (_size(sep) + 1) + sum(_size(p) for p in parts if isinstance(p, str))
    if name == "expandtabs":
        width = values[0] if values and isinstance(values[0], int) else 8
        return base + (obj.count("\t") * width if isinstance(obj, str) else 0)
    if name == "indent":
        lines = obj.count("\n") + 1 if isinstance(obj, str) else 1
        width = values[0] if values else 4
        return base + lines * (width if isinstance(width, int) else _size(width))
    if name in ("format", "format_map", "%"):
        return base + _widest_field(obj) + sum(_size(v) for v in values)
    if not isinstance(obj, str | list | tuple):
        return base  # namespace(total=1000000), dict(...), today.replace(...): no width
    # A string's or a list's method or filter: its numbers are widths and counts
    # (center, ljust, zfill, wordwrap, truncate, batch, ...).
    ints = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
    return max([base, *ints])


def _charged(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that charges a step and refuses to build an oversized value."""
    passes = getattr(func, "jinja_pass_arg", None)  # pass_context, pass_eval_context, ...

    def checked(value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if name == "join" and not isinstance(value, Sized):
            value = check_size(list(value))  # a map/select generator: count it first
        _refuse_over(_estimate(name, value, args, kwargs))
        budget = _budget.get()
        if budget is not None:
            budget.charge()
        return value

    if passes is None:

        def filtered(value: Any, *args: Any, **kwargs: Any) -> Any:
            return check_size(func(checked(value, args, kwargs), *args, **kwargs))

        return filtered

    def filtered_passing(passed: Any, value: Any, *args: Any, **kwargs: Any) -> Any:
        return check_size(func(passed, checked(value, args, kwargs), *args, **kwargs))

    filtered_passing.jinja_pass_arg = passes  # type: ignore[attr-defined]
    return filtered_passing


class LimitedTemplate(Template):
    def render(self, *args: Any, **kwargs: Any) -> str:
        token = _budget.set(_render_budget())
        try:
            return self._render_checked(*args, **kwargs)
        finally:
            _budget.reset(token)

    def _render_checked(self, *args: Any, **kwargs: Any) -> str:
        try:
            return check_size(super().render(*args, **kwargs))  # type: ignore[no-any-return]
        except RecursionError:  # a guard in case MAX_DEPTH is not reached first
            raise TemplateLimitError("the template recurses too deeply") from None
        except MemoryError:
            raise TemplateLimitError("the template needs too much memory") from None


class LimitedSandbox(SandboxedEnvironment):
    """A sandbox for admin-written templates; see the module docstring."""

    intercepted_binops = frozenset({"*", "**", "+", "%", "//"})
    template_class = LimitedTemplate

    def __init__(self, **options: Any) -> None:
        options.setdefault("undefined", StrictUndefined)
        options.setdefault("autoescape", False)
        super().__init__(loader=None, **options)
        self.filters = {
            name: _charged(name, func)
            for name, func in self.filters.items()
            if name in ALLOWED_FILTERS
        }
        self.filters["_jm_loop"] = _loop
        self.filters["_jm_emit"] = _emit
        self.filters["_jm_sized"] = _sized
        self.globals["range"] = _range
        self.globals.pop("lipsum", None)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        for kind, word in FORBIDDEN.items():
            for node in tree.find_all(kind):
                raise TemplateSyntaxError(
                    f"{{% {word} %}} is not allowed: a template is one self-contained text",
                    node.lineno,
                    name,
                    filename,
                )
        _bound_loops_and_output(tree)
        return tree

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = _active()
        budget.charge()
        name = getattr(__obj, "__name__", "")
        if name == "join" and args and not isinstance(args[0], Sized):
            args = (check_size(list(args[0])), *args[1:])
        _refuse_over(_estimate(name, getattr(__obj, "__self__", None), args, kwargs))
        if budget.depth >= MAX_DEPTH:
            raise TemplateLimitError(f"the template nests calls more than {MAX_DEPTH} deep")
        budget.depth += 1
        try:
            result = SandboxedEnvironment.call(__self, __context, __obj, *args, **kwargs)
        finally:
            budget.depth -= 1
        check_size(getattr(__obj, "__self__", None))  # list.append, dict.update, ...
        return check_size(result)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        _refuse_over(_estimate("format", getattr(value, "__self__", None), (), {}))
        return super().wrap_str_format(value)

    def getattr(self, obj: Any, attribute: str) -> Any:
        _active().charge()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _active().charge()
        return super().getitem(obj, argument)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _active().charge()
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if _size(seq) and isinstance(times, int):
                    _refuse_over(_size(seq) * times)
        elif operator == "**" and isinstance(left, int) and isinstance(right, int):
            if abs(left) > 1 and right * max(left.bit_length(), 1) > MAX_INT_BITS:
                raise TemplateLimitError("the template builds a number too large")
        elif operator == "%" and isinstance(left, str):
            _refuse_over(_estimate("%", left, (right,), {}))
        return check_size(super().call_binop(context, operator, left, right))


def _range(*args: int) -> range:
    """``range`` of at most ``MAX_SIZE`` numbers, charged to the budget as many steps."""
    numbers = range(*args)
    _refuse_over(len(numbers))
    _active().charge(len(numbers))
    return numbers


@pass_context
def _loop(context: Context, items: Iterable[Any], weight: int) -> Iterator[Any]:
    budget = _active()
    for item in items:
        budget.charge(1, weight)
        yield item


@pass_context
def _emit(context: Context, value: Any) -> Any:
    _active().charge(1, len(value) if isinstance(value, str) else 8)
    return check_size(value)


@pass_context
def _sized(context: Context, value: Any) -> Any:
    return check_size(value)


def _literal_weight(body: list[nodes.Node]) -> int:
    """Characters of literal text in a loop's body, charged for each iteration."""
    texts = [n for n in body if isinstance(n, nodes.TemplateData)]
    for node in body:
        texts.extend(node.find_all(nodes.TemplateData))
    return sum(len(t.data) for t in texts)


def _filter(node: nodes.Node, name: str, *args: nodes.Expr) -> nodes.Filter:
    return nodes.Filter(node, name, list(args), [], None, None, lineno=node.lineno)


def _bound_loops_and_output(tree: nodes.Template) -> None:
    for loop in tree.find_all(nodes.For):
        if loop.recursive:
            raise TemplateSyntaxError("recursive loops are not allowed", loop.lineno)
        weight = nodes.Const(_literal_weight(loop.body), lineno=loop.lineno)
        loop.iter = _filter(loop.iter, "_jm_loop", weight)
    for output in tree.find_all(nodes.Output):
        output.nodes = [
            n if isinstance(n, nodes.TemplateData) else _filter(n, "_jm_emit") for n in output.nodes
        ]
    _wrap_concats(tree)


def _wrap_concats(node: nodes.Node) -> None:
    """Check the length of every ``a ~ b`` result, innermost first."""
    for field, value in node.iter_fields():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, nodes.Node):
                _wrap_concats(item)
        if isinstance(value, nodes.Concat):
            setattr(node, field, _filter(value, "_jm_sized"))  # a Concat is an Expr
        elif isinstance(value, list):
            setattr(
                node,
                field,
                [_filter(i, "_jm_sized") if isinstance(i, nodes.Concat) else i for i in value],
            )
