"""The comment's jinja2 template: loaded once, rendered in a sandbox that a pull request cannot escape.

A repository may shape its comment and job summary with its own template (``--comment-template FILE``).
In a pull-request workflow the author of the pull request writes that file, so it renders in jinja2's
:class:`~jinja2.sandbox.ImmutableSandboxedEnvironment` with more taken away:

- one file: no loader, and ``include``, ``import``, ``from`` and ``extends`` are refused when it is read;
- data, not objects: the context is plain dicts, lists, strings and numbers (docs/comment-templates.md);
  calls are limited to the documented globals (``range``, ``dict``, ``namespace``, ``plural``), the
  template's own macros, ``loop.cycle``/``loop.changed``, a few str and dict methods, and a list of
  filters; attributes starting with ``_`` are refused by the sandbox;
- escaped output: every ``{{ value }}`` goes through :func:`markup.escape` (``finalize``), except the
  values the context hands over ready-made (icons, link targets), and ``|safe``/``|e`` do the same;
- bounded: loop iterations, the characters built by ``~``, ``+``, ``*`` and string filters, and the
  output are counted; past a bound the rendering stops with :class:`TemplateStopped`;
- no workflow command, no marker: what the template writes has every HTML comment opener and closer
  escaped and control characters made visible; the caller adds the marker and runs
  :func:`sanitize.no_command_lines` on the whole document.

A syntax error, or an error while rendering (an unknown variable, a refused attribute or call), is a
:class:`~ttgate.errors.UserError` naming the file and line: exit 2.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ttgate.errors import UserError
from ttgate.gate.findings import plural
from ttgate.gate.reporters.markup import escape

if TYPE_CHECKING:
    from jinja2 import Template

DEFAULT_TEMPLATE = "comment.md.j2"
MAX_TEMPLATE_BYTES = 256 * 1024  # a template is a page of Markdown, not a data file
MAX_ITERATIONS = 1_000_000  # loop iterations per rendering
MAX_VALUE = 4 * 1024 * 1024  # characters in one string or list the template builds
MAX_WORK = 64 * 1024 * 1024  # characters built in all (concatenation, filters), output included
MAX_POWER_BITS = 4096  # integers the template computes stay this small
# Allowed methods of plain data: none of them can read a file, build a huge value or reach an object.
_STR_METHODS = frozenset(
    {
        "capitalize",
        "casefold",
        "count",
        "endswith",
        "find",
        "isdigit",
        "lower",
        "lstrip",
        "rfind",
        "rsplit",
        "rstrip",
        "split",
        "splitlines",
        "startswith",
        "strip",
        "title",
        "upper",
    }
)
_DICT_METHODS = frozenset({"get", "items", "keys", "values"})
_LOOP_METHODS = frozenset({"cycle", "changed"})
_FILTERS = frozenset(
    {
        "abs",
        "attr",
        "capitalize",
        "count",
        "d",
        "default",
        "dictsort",
        "first",
        "float",
        "groupby",
        "int",
        "items",
        "last",
        "length",
        "list",
        "lower",
        "map",
        "max",
        "min",
        "reject",
        "rejectattr",
        "reverse",
        "round",
        "select",
        "selectattr",
        "sort",
        "string",
        "sum",
        "title",
        "trim",
        "truncate",
        "unique",
        "upper",
        "urlencode",
        "wordcount",
    }
)
_BIDI_AND_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class TemplateStopped(Exception):
    """The template went past a bound (loops, size): the document says so instead of its output."""


@dataclass
class _Budget:
    iterations: int = 0
    work: int = 0

    def step(self) -> None:
        self.iterations += 1
        if self.iterations > MAX_ITERATIONS:
            raise TemplateStopped(f"it looped more than {MAX_ITERATIONS:,} times")

    def spend(self, characters: int) -> None:
        if characters > MAX_VALUE:
            raise TemplateStopped(f"it built a value of more than {MAX_VALUE:,} characters")
        self.work += characters
        if self.work > MAX_WORK:
            raise TemplateStopped(f"it built more than {MAX_WORK:,} characters")


def _size(value: Any) -> int:
    return len(value) if isinstance(value, str | list | tuple | bytes) else 0


@dataclass
class CommentTemplate:
    """A template's text and the name errors call it by (the path as given, or the packaged default)."""

    source: str
    name: str
    _compiled: Template | None = field(default=None, repr=False)
    _budget: _Budget = field(default_factory=_Budget, repr=False)

    def compiled(self) -> Template:
        if self._compiled is None:
            self._compiled = _compile(self)
        return self._compiled

    def render(self, context: Mapping[str, Any], output_limit: int) -> tuple[str, dict[str, Any]]:
        """The template's output (at most ``output_limit`` characters, else TemplateStopped) and the
        names it defined (its macros)."""
        template = self.compiled()
        self._budget.iterations = self._budget.work = 0
        environment = template.environment
        try:
            render_context = template.new_context(dict(context))
            parts: list[str] = []
            size = 0
            for part in template.root_render_func(render_context):
                size += len(part)
                if size > output_limit:
                    raise TemplateStopped(f"its output passed {output_limit:,} characters")
                parts.append(part)
            self._budget.spend(size)
        except (TemplateStopped, UserError):
            raise
        except RecursionError:
            raise TemplateStopped("it recursed too deeply") from None
        except Exception:  # anything the template did: reported as its file and line
            self._raise_with_line(environment)
        return _inert("".join(parts)), dict(render_context.vars)

    def call(self, macro: Callable[..., Any], *args: Any) -> str:
        """A macro of the template, called from Python (to measure one finding's entry)."""
        try:
            return _inert(str(macro(*args)))
        except (TemplateStopped, UserError):
            raise
        except RecursionError:
            raise TemplateStopped("it recursed too deeply") from None
        except Exception:
            self._raise_with_line(self.compiled().environment)
        raise AssertionError("unreachable")  # pragma: no cover

    def _raise_with_line(self, environment: Any) -> None:
        error = sys.exc_info()[1]
        try:
            environment.handle_exception(source=self.source)  # rewrites the traceback to template lines
        except Exception as rewritten:
            error = rewritten
        line = _template_line(error, self.name)
        raise UserError(f"{self.name}:{line}: comment template: {_describe(error)}") from None


def _describe(error: BaseException | None) -> str:
    text = " ".join(str(error).split()) if error is not None else "error"
    return f"{type(error).__name__}: {text}" if error is not None else text


def _template_line(error: BaseException | None, name: str) -> int:
    line = getattr(error, "lineno", None)
    traceback = error.__traceback__ if error is not None else None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == name:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return int(line or 1)


def _inert(text: str) -> str:
    """The template's own text made harmless: it cannot open or close an HTML comment (the marker and
    the digest are the document's only ones) nor carry control characters."""
    text = text.replace("<!--", "&lt;!--").replace("-->", "--&gt;")
    return _BIDI_AND_CONTROL.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


@cache
def default_template() -> CommentTemplate:
    """ttgate's own template, compiled once per process."""
    text = resources.files("ttgate.gate.reporters").joinpath("templates", DEFAULT_TEMPLATE)
    return CommentTemplate(text.read_text(encoding="utf-8"), f"ttgate/{DEFAULT_TEMPLATE}")


def load_template(path: Path | None) -> CommentTemplate:
    """The template in ``path`` (None: the packaged default), compiled: a syntax error is a UserError
    naming the file and line. Inside a git work tree the file must resolve inside it (a pull request
    could make it a link to the runner's credentials), and it must be a regular file of text."""
    from ttgate.policy.boundary import Boundary, NotRegular, read_regular, repository_root

    if path is None:
        return default_template()
    shown = f"--comment-template {path}"
    if not os.path.lexists(path):
        raise UserError(f"{shown}: no such file")
    refusal = Boundary([repository_root(path)]).refusal_of_argument(path)
    if refusal is not None:
        raise UserError(f"{shown}: {refusal}")
    try:
        data = read_regular(path, MAX_TEMPLATE_BYTES)
    except NotRegular:
        raise UserError(f"{shown}: not a regular file") from None
    except OSError as error:
        raise UserError(f"{shown}: cannot read: {error.strerror or error}") from None
    if len(data) > MAX_TEMPLATE_BYTES:
        raise UserError(f"{shown}: larger than {MAX_TEMPLATE_BYTES // 1024} KiB")
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{shown}: not UTF-8 text") from None
    template = CommentTemplate(source, str(path))
    template.compiled()
    return template


# -- the sandbox ---------------------------------------------------------------------------------------


def _finalize(value: Any) -> Any:
    """Every ``{{ value }}``: escaped for Markdown and HTML, unless the context made it (Markup)."""
    from markupsafe import Markup

    if isinstance(value, Markup):
        return value
    return _escaped(value) if isinstance(value, str) else Markup(escape(value))


@lru_cache(maxsize=1 << 16)
def _escaped(text: str) -> Any:
    """Escaping a finding's texts again in each rendering (the size fitting renders more than once)."""
    from markupsafe import Markup

    return Markup(escape(text))


def _joined(parts: Iterable[Any]) -> str:
    """Parts joined; when one is Markup (ready-made by the context or a macro) the others are escaped."""
    from markupsafe import Markup

    parts = list(parts)
    if any(isinstance(part, Markup) for part in parts):
        return Markup("".join(_finalize(part) for part in parts))
    return "".join(str(part) for part in parts)


def _compile(template: CommentTemplate) -> Template:
    from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
    from jinja2.filters import FILTERS, make_attrgetter
    from jinja2.runtime import LoopContext, Macro
    from jinja2.sandbox import ImmutableSandboxedEnvironment
    from markupsafe import Markup

    budget = template._budget
    refused = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)

    def counted(iterable: Iterable[Any]) -> Iterator[Any]:
        for item in iterable:
            budget.step()
            yield item

    def concat(*parts: Any) -> str:
        budget.spend(sum(len(str(part)) for part in parts))
        return _joined(parts)

    def join(environment: Any, value: Iterable[Any], separator: str = "", attribute: Any = None) -> str:
        get = make_attrgetter(environment, attribute) if attribute is not None else None
        texts: list[str] = []
        size = 0
        for item in value:
            budget.step()
            text = get(item) if get is not None else item
            text = text if isinstance(text, str) else str(text)
            size += len(text) + len(separator)
            budget.spend(0 if size <= MAX_VALUE else size)
            texts.append(text)
        if any(isinstance(part, Markup) for part in (separator, *texts)):
            return Markup(_finalize(separator)).join(_finalize(text) for text in texts)
        return str(separator).join(texts)

    def replace(value: Any, old: str, new: str, count: int | None = None) -> str:
        text = str(value)
        times = text.count(str(old)) if count is None else min(int(count), text.count(str(old)))
        budget.spend(len(text) + times * max(len(str(new)) - len(str(old)), 0))
        return text.replace(str(old), str(new), -1 if count is None else int(count))

    def indent(value: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
        prefix = " " * width if isinstance(width, int) and 0 <= width <= 100 else str(width)
        if len(prefix) > 100:
            raise TemplateStopped("indent width past 100")
        text = str(value)
        budget.spend(len(text) + (text.count("\n") + 1) * len(prefix))
        return str(FILTERS["indent"](text, prefix, first, blank))

    def escaped(value: Any) -> Any:
        return _finalize(value)

    def bounded_plural(count: int, word: str) -> str:
        return plural(int(count), str(word))

    class Sandbox(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**", "+", "%"})
        bounded_concat = staticmethod(concat)
        counted_loop = staticmethod(counted)

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            if operator == "%" and isinstance(left, str):
                raise TemplateStopped("string formatting with % (use ~ to join text)")
            power = operator == "**" and isinstance(left, int) and isinstance(right, int)
            if power and right > 0 and right * max(abs(left).bit_length(), 1) > MAX_POWER_BITS:
                raise TemplateStopped(f"a number past {MAX_POWER_BITS} bits")
            if operator == "*":
                for sequence, times in ((left, right), (right, left)):
                    if _size(sequence) and isinstance(times, int):
                        budget.spend(_size(sequence) * max(times, 0))
                numbers = isinstance(left, int) and isinstance(right, int)
                if numbers and left.bit_length() + right.bit_length() > MAX_POWER_BITS:
                    raise TemplateStopped(f"a number past {MAX_POWER_BITS} bits")
            if operator == "+" and _size(left) and _size(right):
                budget.spend(_size(left) + _size(right))
                if isinstance(left, Markup) or isinstance(right, Markup):
                    return _joined((left, right))
            return super().call_binop(context, operator, left, right)

        def is_safe_callable(self, obj: Any) -> bool:
            owner = getattr(obj, "__self__", None)
            name = getattr(obj, "__name__", "")
            if any(obj is allowed for allowed in self.globals.values()):
                return True
            if obj is concat or obj is counted or isinstance(obj, Macro):
                return True
            if isinstance(owner, LoopContext):
                return name in _LOOP_METHODS
            if type(owner) is dict:
                return name in _DICT_METHODS
            if isinstance(owner, str):
                return name in _STR_METHODS
            return False

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
            from jinja2.exceptions import SecurityError

            if not __self.is_safe_callable(__obj):
                shown = getattr(__obj, "__name__", type(__obj).__name__)
                raise SecurityError(f"calling {shown!r} is not allowed in a comment template")
            return __context.call(__obj, *args, **kwargs)

        def _parse(self, source: str, name: str | None, filename: str | None) -> Any:
            tree = super()._parse(source, name, filename)
            for node in tree.find_all(refused):
                what = type(node).__name__.lower().replace("fromimport", "from … import")
                raise TemplateSyntaxError(
                    f"{{% {what} %}} is not allowed: a comment template is one file",
                    node.lineno,
                    name,
                    filename,
                )
            for loop in tree.find_all(nodes.For):
                counted_iter = nodes.EnvironmentAttribute("counted_loop")
                loop.iter = nodes.Call(counted_iter, [loop.iter], [], None, None)
            for joined in list(tree.find_all(nodes.Concat)):
                call = nodes.Call(nodes.EnvironmentAttribute("bounded_concat"), joined.nodes, [], None, None)
                joined.nodes = [call]
            return tree

    environment = Sandbox(
        autoescape=True,  # and finalize escapes first, for Markdown and HTML: the result is Markup
        finalize=_finalize,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        cache_size=0,
    )
    environment.globals = {
        "range": environment.globals["range"],  # the sandbox's, at most 100,000 numbers
        "dict": dict,
        "namespace": environment.globals["namespace"],
        "plural": bounded_plural,
    }
    filters = {name: FILTERS[name] for name in _FILTERS}
    filters |= {"join": _pass_environment(join), "replace": replace, "indent": indent}
    filters |= {"safe": escaped, "e": escaped, "escape": escaped, "forceescape": escaped}
    environment.filters = filters
    try:
        code = environment.compile(template.source, name=template.name, filename=template.name)
    except TemplateSyntaxError as error:
        raise UserError(f"{template.name}:{error.lineno}: comment template: {error.message}") from None
    return environment.template_class.from_code(environment, code, environment.make_globals(None))


def _pass_environment(function: Callable[..., Any]) -> Callable[..., Any]:
    from jinja2 import pass_environment

    return pass_environment(function)
