"""Evaluation of HCL expressions over the syntax tree.

The evaluator knows the language (operators, templates, for expressions, splats, function calls);
what names mean (``var.x``, ``module.queue``, ``aws_sqs_queue.main``) is the scope's business, so
the same evaluator serves root modules, module instances and every stack. What cannot be known
becomes an :class:`~ttgate.gate.values.Unknown` carrying the reason; Terraform errors become
:class:`~ttgate.gate.values.Invalid`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any, Protocol

from ttgate.gate.hcl import bounds
from ttgate.gate.hcl import syntax as ast
from ttgate.gate.hcl.files import Files
from ttgate.gate.hcl.functions import FunctionError, call
from ttgate.gate.hcl.syntax import template_from_text
from ttgate.gate.model import Origin
from ttgate.gate.values import (
    SENSITIVE,
    Invalid,
    Unknown,
    as_number,
    deep_unknown,
    display,
    is_lasting,
    is_sensitive,
    mark_like,
    mark_sensitive,
    marked_leaf,
    short,
    unmarked,
)

Trace = list[Origin]


class Scope(Protocol):
    def lookup(self, name: str, trace: Trace) -> Any:
        """The value of a root name (``var``, ``local``, a resource type...)."""
        ...


class _MarksSeen:
    """How many marked values the evaluation has produced so far, all evaluators together.

    An operation (a template, a function call, an operator, a conditional) whose operands produced a
    marked value yields a marked value, however the operand was reached: a variable, a local, a
    ``for`` binding (``[for s in var.secrets : upper(s)]``), ``each.value``. Collections and the
    expressions that only select from a value (``var.x.y``, ``local.list[0]``) are marked leaf by leaf.
    """

    count = 0
    lasting = 0  # of them, the values with a lasting mark (see ttgate.gate.values)


_MARKS = _MarksSeen()
# The expressions that compute a new value from their operands (the others build or select).
_COMPUTING = frozenset({"Template", "Call", "BinOp", "Unary", "Cond", "TemplateIf", "TemplateFor"})


class AnyInstance:
    """A resource or module whose count/for_each is unknown: any index names its one template.

    ``keyed`` when it stands for a map of instances (a for_each), which another for_each may iterate
    (its keys unknown); a count's list of instances is not a map or a set, and Terraform refuses it there.
    """

    def __init__(self, instance: Any, reason: str, keyed: bool = False) -> None:
        self.instance = instance
        self.reason = reason
        self.keyed = keyed


def _integral(value: float | int) -> float | int:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def to_string(value: Any) -> str | Unknown:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        problem = bounds.number_problem(value)
        # the number's own digits (str() of a marked one is "(sensitive)"), marked as the number is
        plain = int(value) if isinstance(value, int) else float(value)
        return Invalid(problem) if problem else mark_like(str(_integral(plain)), value)
    if isinstance(value, str):
        return value
    if value is None:
        return Invalid("cannot use null in a string template")
    return Invalid(f"cannot use a {type(value).__name__} in a string template")


def _truth(value: Any) -> bool | Unknown:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return bool(value == "true")
    return Invalid(f"a condition must be true or false, not {display(value)}")


def _joined(pieces: list[str | Unknown]) -> list[str | Unknown]:
    """Adjacent known pieces of a template joined into one string."""
    joined: list[str | Unknown] = []
    for piece in pieces:
        if isinstance(piece, str) and joined and isinstance(joined[-1], str):
            joined[-1] += piece
        elif piece != "":
            joined.append(piece)
    return joined


def _is_known_not_null(value: Any) -> bool:
    """A value that cannot be null even if parts of it are unknown: an object, a list, a template."""
    if isinstance(value, Unknown):
        return value.partial is not None or value.parts is not None
    return value is not None


def _equal(left: Any, right: Any) -> bool | Unknown:
    if left is None or right is None:
        other = right if left is None else left
        if other is None:
            return True
        if _is_known_not_null(other):
            return False  # Terraform knows `{ a = (unknown) } != null`
    unknown = deep_unknown(left) or deep_unknown(right)
    if unknown is not None:
        return unknown
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    return bool(left == right)


def _arithmetic(op: str, left: Any, right: Any) -> Any:
    a, b = as_number(left), as_number(right)
    if isinstance(a, Unknown):
        return a
    if isinstance(b, Unknown):
        return b
    if a is None or b is None:
        bad = left if a is None else right
        return Invalid(f"operator {op} needs numbers, got {display(bad)}")
    problem = bounds.number_problem(a) or bounds.number_problem(b)
    if problem:
        return Invalid(problem)
    try:
        result = _operate(op, a, b)
    except (OverflowError, ValueError):
        return Invalid(f"the result of operator {op} is out of the range of numbers ttgate evaluates")
    problem = bounds.number_problem(result)
    return Invalid(problem) if problem else result


def _operate(op: str, a: float | int, b: float | int) -> Any:
    if op == "+":
        return _integral(a + b)
    if op == "-":
        return _integral(a - b)
    if op == "*":
        return _integral(a * b)
    if op == "/":
        return Invalid("division by zero") if b == 0 else _integral(a / b)
    if op == "%":
        return Invalid("modulo by zero") if b == 0 else _integral(a % b)
    if op in ("<", ">", "<=", ">="):
        return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
    return Invalid(f"unknown operator {op}")


class Evaluator:
    """Evaluates expressions in one scope, with local bindings (count, each, for variables)."""

    def __init__(
        self,
        scope: Scope,
        bindings: dict[str, Any] | None = None,
        files: Files | None = None,
        in_template: bool = False,
    ) -> None:
        self.scope = scope
        self.bindings = bindings or {}
        self.files = files  # what file(), templatefile()... read; None: they are Unknown
        self.in_template = in_template  # inside templatefile(), which may not call itself

    def with_bindings(self, extra: dict[str, Any]) -> Evaluator:
        bounds.work.charge(1)  # one iteration of a for, even over a body of plain text
        return Evaluator(self.scope, {**self.bindings, **extra}, self.files, self.in_template)

    def evaluate(self, expr: ast.Expr, trace: Trace | None = None) -> Any:
        if trace is None:
            trace = []
        work = bounds.work
        outermost = work.depth == 0
        work.depth += 1
        seen = _MARKS.count
        try:
            if outermost:
                work.begin()  # nested evaluations (a local, a variable) share the outermost one's budget
            value = self._eval(expr, trace)
            return bounds.check_value(value) or value
        except bounds.WorkExhausted:
            return bounds.exhausted()
        except RecursionError:
            return Invalid("expression nests too deeply to evaluate")
        except Exception as error:  # one expression must never cost the whole report
            # The error of an evaluation that read a sensitive value may quote it.
            marked = _MARKS.count != seen or any(origin.sensitive for origin in trace)
            detail = "the error is not shown: it read a sensitive value" if marked else short(str(error))
            name = type(error).__name__
            return Unknown(f"ttgate could not evaluate this expression ({name}: {detail}); please report it")
        finally:
            work.depth -= 1
            if outermost:
                work.end()

    # -- dispatch ----------------------------------------------------------------------------

    def _eval(self, expr: ast.Expr, trace: Trace) -> Any:
        bounds.work.charge(1)
        handler = _HANDLERS.get(type(expr))
        if handler is None:
            return Unknown(f"{type(expr).__name__} expressions are not evaluated")
        read, seen, lasting = len(trace), _MARKS.count, _MARKS.lasting
        value = handler(self, expr, trace)
        if isinstance(expr, ast.Call) and expr.name == "nonsensitive" and not is_sensitive(value):
            # The mark is removed, as Terraform removes it: what encloses the call is not computed
            # from a sensitive value any more (its operand's marks and origins are forgotten).
            _MARKS.count, _MARKS.lasting = seen, lasting
            trace[read:] = [replace(origin, sensitive=False) for origin in trace[read:]]
            return value
        computing = type(expr).__name__ in _COMPUTING
        # As in Terraform, anything computed from a sensitive value is sensitive (its origin says so,
        # or one of its operands was a marked value).
        if any(origin.sensitive for origin in trace[read:]) or (_MARKS.count != seen and computing):
            value = mark_sensitive(value, lasting=_MARKS.lasting != lasting and computing)
            if isinstance(value, Invalid) and value.reason != SENSITIVE:
                # An error about a sensitive value may quote it ("cannot negate '...'").
                value = Invalid("invalid, computed from a sensitive value (the error is not shown)")
        if marked_leaf(value):
            _MARKS.count += 1
            if is_lasting(value):
                _MARKS.lasting += 1
        return value

    def _lit(self, expr: ast.Lit, trace: Trace) -> Any:
        problem = bounds.number_problem(expr.value)
        return Invalid(problem) if problem else expr.value

    def _name(self, expr: ast.Name, trace: Trace) -> Any:
        if expr.name in self.bindings:
            return self.bindings[expr.name]
        return self.scope.lookup(expr.name, trace)

    def _template(self, expr: ast.Template, trace: Trace) -> Any:
        if len(expr.parts) == 1 and not isinstance(expr.parts[0], str):
            return self._eval(expr.parts[0], trace)
        pieces: list[str | Unknown] = []
        first_unknown: Unknown | None = None
        for part in expr.parts:
            if isinstance(part, str):
                pieces.append(part)
                continue
            value = to_string(self._eval(part, trace))
            if isinstance(value, Invalid):
                return value
            if isinstance(value, Unknown):
                first_unknown = first_unknown or value
                # A linked piece stays whole (it is that function's name); its own parts give the prefix.
                pieces.extend(value.parts if value.parts and value.resource is None else (value,))
            else:
                pieces.append(value)
        if sum(len(piece) for piece in pieces if isinstance(piece, str)) > bounds.MAX_STRING:
            return bounds.too_large("a string template")
        if first_unknown is None:
            # str.join reads each piece's own text, marked or not (str() of a marked one is "(sensitive)")
            return "".join(piece for piece in pieces if isinstance(piece, str))
        if len(pieces) > bounds.MAX_TEMPLATE_PARTS:
            return Unknown(first_unknown.reason)  # pieces of pieces of templates double at each level
        # "${aws_sqs_queue.q.name}-alarm" is not the queue's name: the value links to nothing, but its
        # pieces keep theirs (a log group named "/aws/lambda/${function_name}" belongs to that function).
        return Unknown(first_unknown.reason, parts=tuple(_joined(pieces)))

    def _get_attr(self, expr: ast.GetAttr, trace: Trace) -> Any:
        obj = self._eval(expr.obj, trace)
        if obj is None:
            return _null_read(expr.obj, f".{expr.name}")
        return get_attr(obj, expr.name, trace)

    def _index(self, expr: ast.Index, trace: Trace) -> Any:
        obj = self._eval(expr.obj, trace)
        key = self._eval(expr.key, trace)
        if obj is None and not isinstance(key, Unknown):
            return _null_read(expr.obj, f"[{display(key)}]")
        # local.names[var.secret] is chosen by the secret: it tells which key the secret is
        return mark_like(get_index(obj, key, trace), key)

    def _splat(self, expr: ast.Splat, trace: Trace) -> Any:
        obj = self._eval(expr.obj, trace)
        if isinstance(obj, Unknown):
            return obj
        if isinstance(obj, AnyInstance):
            items: list[Any] = [obj.instance]
        elif obj is None:
            items = []
        elif isinstance(obj, list):
            items = obj
        elif isinstance(obj, dict):
            return Invalid("a splat expression needs a list, not a map (use values())")
        else:
            items = [obj]
        results = []
        for item in items:
            value = item
            for kind, operand in expr.ops:
                if kind == "attr":
                    value = get_attr(value, operand, trace)
                else:
                    value = get_index(value, self._eval(operand, trace), trace)
            results.append(value)
        return results

    def _call(self, expr: ast.Call, trace: Trace) -> Any:
        if expr.name == "try":
            return self._try(expr, trace)
        if expr.name == "can":
            if len(expr.args) != 1:
                return Invalid("can() takes one argument")
            value = self._eval(expr.args[0], trace)
            if isinstance(value, Invalid):
                return False
            return value if isinstance(value, Unknown) else True
        args = [self._eval(arg, trace) for arg in expr.args]
        if expr.expand_last and args:
            last = args.pop()
            if isinstance(last, Unknown):
                return last
            if not isinstance(last, list):
                return Invalid(f"{expr.name}(...): only a list can be expanded with ...")
            args.extend(last)
        # A scope may define functions of its own (Terragrunt's get_terragrunt_dir(), ...).
        own = getattr(self.scope, "functions", None)
        if isinstance(own, dict) and expr.name in own:
            return own[expr.name](args)
        if expr.name == "nonsensitive":
            return _nonsensitive(args)
        sensitive = expr.name == "sensitive" or is_sensitive(args)
        if not sensitive:
            return self._plain_call(expr.name, args)
        # Every function computes on the plain values (str() of a marked one is "(sensitive)") and its
        # result is marked as its arguments are, whatever the function: a hash or an encoding of a
        # secret is still derived from it (jsonencode(var.job_map) is as lasting as the map's leaves).
        lasting = is_lasting(args)
        result = self._plain_call(expr.name, unmarked(args))
        if isinstance(result, Invalid):  # its message may quote the value, or a transform of it
            return Invalid(f"{expr.name}: rejects its sensitive argument (the error is not shown)")
        if isinstance(result, Unknown) and result.reason != SENSITIVE and not _passed_through(result, args):
            # A reason the function wrote ("no file exists at ...") may quote the value too.
            reason = f"{expr.name}() of a sensitive value is unknown (the reason is not shown)"
            return mark_sensitive(replace(result, reason=reason), lasting)
        return mark_sensitive(result, lasting)

    def _plain_call(self, name: str, args: list[Any]) -> Any:
        if name == "templatefile" and len(args) == 2 and self.files is not None:
            return self._templatefile(*args)
        try:
            return call(name, args, self.files)
        except FunctionError as error:
            return Invalid(str(error))

    def _templatefile(self, path: Any, variables: Any) -> Any:
        """``templatefile(path, vars)``: the file's text as a template that sees only ``vars``."""
        assert self.files is not None
        if self.in_template:
            return Invalid("templatefile: cannot recursively call templatefile from inside another template")
        if isinstance(path, Unknown):
            return path
        if not isinstance(path, str):
            return Invalid(f"templatefile: the path must be a string, not {display(path)}")
        if isinstance(variables, Unknown) and variables.partial is None:
            return variables
        if isinstance(variables, Unknown):
            variables = variables.partial
        if not isinstance(variables, dict):
            return Invalid("templatefile: invalid vars value: must be a map")
        text = self.files.text(path)
        if isinstance(text, Unknown):
            return Invalid(f"templatefile: {text.reason}") if isinstance(text, Invalid) else text
        template = template_from_text(text)
        if isinstance(template, ast.Unsupported):
            return Invalid(f"templatefile: {display(path)} is not a valid template")
        inner = Evaluator(_TemplateVars(path), dict(variables), self.files, in_template=True)
        return inner._eval(template, [])  # a lone ${...} is its value, as in Terraform

    def _try(self, expr: ast.Call, trace: Trace) -> Any:
        for arg in expr.args:
            value = self._eval(arg, trace)
            if not isinstance(value, Invalid):
                return value
        return Invalid("no argument of try() could be evaluated")

    def _binop(self, expr: ast.BinOp, trace: Trace) -> Any:
        op = expr.op
        if op in ("&&", "||"):
            left = _truth(self._eval(expr.left, trace))
            # Short-circuit only on a known deciding value, as Terraform's result would be known.
            if left is False and op == "&&":
                return False
            if left is True and op == "||":
                return True
            right = _truth(self._eval(expr.right, trace))
            if isinstance(left, Unknown):
                if (op == "&&" and right is False) or (op == "||" and right is True):
                    return right
                return left
            return right
        left = self._eval(expr.left, trace)
        right = self._eval(expr.right, trace)
        if op == "==":
            return _equal(left, right)
        if op == "!=":
            result = _equal(left, right)
            return result if isinstance(result, Unknown) else not result
        return _arithmetic(op, left, right)

    def _unary(self, expr: ast.Unary, trace: Trace) -> Any:
        value = self._eval(expr.operand, trace)
        if expr.op == "!":
            truth = _truth(value)
            return truth if isinstance(truth, Unknown) else not truth
        number = as_number(value)
        if isinstance(number, Unknown):
            return number
        if number is None:
            return Invalid(f"cannot negate {display(value)}")
        problem = bounds.number_problem(number)
        return Invalid(problem) if problem else -number

    def _cond(self, expr: ast.Cond, trace: Trace) -> Any:
        test = _truth(self._eval(expr.test, trace))
        if test is True:
            return self._eval(expr.then, trace)
        if test is False:
            return self._eval(expr.other, trace)
        assert isinstance(test, Unknown)
        then = self._eval(expr.then, trace)
        other = self._eval(expr.other, trace)
        if deep_unknown(then) is None and deep_unknown(other) is None and _equal(then, other) is True:
            return then
        return test

    def _tuple(self, expr: ast.TupleExpr, trace: Trace) -> Any:
        return [self._eval(item, trace) for item in expr.items]

    def _object(self, expr: ast.ObjectExpr, trace: Trace) -> Any:
        result: dict[str, Any] = {}
        for key_expr, value_expr in expr.items:
            key = to_string(self._eval(key_expr, trace))
            if isinstance(key, Unknown):
                return key
            result[key] = self._eval(value_expr, trace)
        return result

    def _for(self, expr: ast.ForExpr, trace: Trace) -> Any:
        collection = self._eval(expr.collection, trace)
        if isinstance(collection, Unknown):
            return collection
        if isinstance(collection, AnyInstance):  # instances whose number (or keys) is unknown
            return Unknown(collection.reason)
        if isinstance(collection, dict):
            pairs: list[tuple[Any, Any]] = list(collection.items())
        elif isinstance(collection, list):
            pairs = list(enumerate(collection))
        elif collection is None:
            return Invalid("a for expression cannot iterate over null")
        else:
            return Invalid(f"a for expression cannot iterate over {display(collection)}")
        items: list[Any] = []
        grouped: dict[str, Any] = {}
        for key, value in pairs:
            names = {expr.value_var: value}
            if expr.key_var is not None:
                names[expr.key_var] = key
            inner = self.with_bindings(names)
            if expr.condition is not None:
                keep = _truth(inner._eval(expr.condition, trace))
                if isinstance(keep, Unknown):
                    return keep
                if not keep:
                    continue
            if expr.key is None:
                items.append(inner._eval(expr.value, trace))
                continue
            out_key = to_string(inner._eval(expr.key, trace))
            if isinstance(out_key, Unknown):
                return out_key
            out_value = inner._eval(expr.value, trace)
            if expr.grouping:
                grouped.setdefault(out_key, []).append(out_value)
            elif out_key in grouped:
                return Invalid(f"duplicate key {display(out_key)} in a for expression (use ... to group)")
            else:
                grouped[out_key] = out_value
        return items if expr.key is None else grouped

    def _parts(self, parts: list[str | ast.Expr], trace: Trace) -> str | Unknown:
        """Template parts joined into one string (a directive's body is always a string)."""
        pieces: list[str] = []
        for part in parts:
            value = part if isinstance(part, str) else to_string(self._eval(part, trace))
            if isinstance(value, Unknown):  # Invalid included
                return value if isinstance(value, Invalid) else Unknown(value.reason)
            pieces.append(value)
        if sum(map(len, pieces)) > bounds.MAX_STRING:
            return bounds.too_large("a string template")
        return "".join(pieces)

    def _template_if(self, expr: ast.TemplateIf, trace: Trace) -> Any:
        test = _truth(self._eval(expr.test, trace))
        if isinstance(test, Unknown):
            return test
        return self._parts(expr.then if test else expr.other, trace)

    def _template_for(self, expr: ast.TemplateFor, trace: Trace) -> Any:
        collection = self._eval(expr.collection, trace)
        if isinstance(collection, Unknown):
            return collection
        if isinstance(collection, dict):
            pairs: list[tuple[Any, Any]] = sorted(collection.items())  # Terraform: lexical key order
        elif isinstance(collection, list):
            pairs = list(enumerate(collection))
        else:
            return Invalid(f"a template for directive cannot iterate over {display(collection)}")
        pieces: list[str] = []
        for key, value in pairs:
            names = {expr.value_var: value}
            if expr.key_var is not None:
                names[expr.key_var] = key
            piece = self.with_bindings(names)._parts(expr.body, trace)
            if isinstance(piece, Unknown):
                return piece
            pieces.append(piece)
        if sum(map(len, pieces)) > bounds.MAX_STRING:
            return bounds.too_large("a string template")
        return "".join(pieces)

    def _unsupported(self, expr: ast.Unsupported, trace: Trace) -> Any:
        return Unknown(f"{expr.what} is not evaluated by ttgate")


def _nonsensitive(args: list[Any]) -> Any:
    """``nonsensitive(value)``: the value unmarked, as Terraform gives it; but a lasting mark (the job's
    own values, ephemeral ones) stays, and the value with it."""
    if len(args) != 1:
        return Invalid(f"nonsensitive: expects 1 argument, got {len(args)}")
    value = args[0]
    return value if is_lasting(value) else unmarked(value)


def _unknowns(value: Any) -> Iterator[Unknown]:
    """Every Unknown in a value, the pieces of partly known ones included."""
    if isinstance(value, Unknown):
        yield value
        yield from _unknowns(value.partial)
        yield from _unknowns(list(value.parts or ()))
    elif isinstance(value, dict):
        for item in value.values():
            yield from _unknowns(item)
    elif isinstance(value, list):
        for item in value:
            yield from _unknowns(item)


def _passed_through(result: Unknown, args: list[Any]) -> bool:
    """``result`` is one of the arguments' own unknowns (its reason is not the function's)."""
    return any(result is unknown for unknown in _unknowns(args))


def reference_text(expr: ast.Expr) -> str | None:
    """A reference as it is written (``var.settings.timeout``, ``local.m["a"][0]``), or None."""
    if isinstance(expr, ast.Name):
        return expr.name
    if isinstance(expr, ast.GetAttr):
        inner = reference_text(expr.obj)
        return None if inner is None else f"{inner}.{expr.name}"
    if isinstance(expr, ast.Index) and isinstance(expr.key, ast.Lit):
        inner = reference_text(expr.obj)
        return None if inner is None else f"{inner}[{display(expr.key.value)}]"
    return None


def _null_read(obj: ast.Expr, step: str) -> Invalid:
    """Reading into null, naming what was null: the input someone left unset."""
    subject = reference_text(obj)
    if subject is None:
        return Invalid(f"this value is null, so {step} cannot be read from it")
    return Invalid(f"{subject} is null, so {subject}{step} cannot be read")


class _TemplateVars:
    """The scope of a template file: nothing but the vars given to templatefile (bound as bindings)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def lookup(self, name: str, trace: Trace) -> Any:
        return Invalid(f'templatefile: vars map does not contain key "{name}", referenced at {self.path}')


_HANDLERS: dict[type, Callable[[Evaluator, Any, Trace], Any]] = {
    ast.Lit: Evaluator._lit,
    ast.Name: Evaluator._name,
    ast.Template: Evaluator._template,
    ast.GetAttr: Evaluator._get_attr,
    ast.Index: Evaluator._index,
    ast.Splat: Evaluator._splat,
    ast.Call: Evaluator._call,
    ast.BinOp: Evaluator._binop,
    ast.Unary: Evaluator._unary,
    ast.Cond: Evaluator._cond,
    ast.TupleExpr: Evaluator._tuple,
    ast.ObjectExpr: Evaluator._object,
    ast.ForExpr: Evaluator._for,
    ast.TemplateIf: Evaluator._template_if,
    ast.TemplateFor: Evaluator._template_for,
    ast.Unsupported: Evaluator._unsupported,
}


def get_attr(obj: Any, name: str, trace: Trace) -> Any:
    if isinstance(obj, Unknown):
        if obj.resource is not None and obj.attribute is None:
            return Unknown(obj.reason, obj.resource, name)
        return obj
    if hasattr(obj, "get_attr"):
        return obj.get_attr(name, trace)
    if isinstance(obj, AnyInstance):
        return Unknown(obj.reason)
    if isinstance(obj, dict):
        if name in obj:
            return obj[name]
        return Invalid(f"no attribute {display(name)}")
    if obj is None:
        return Invalid(f"cannot read .{name} of null")
    return Invalid(f"cannot read .{name} of {_kind(obj)}")


def get_index(obj: Any, key: Any, trace: Trace) -> Any:
    if isinstance(obj, Unknown):
        return obj
    if isinstance(obj, AnyInstance):
        return obj.instance
    if isinstance(key, Unknown):
        return key
    if hasattr(obj, "get_index"):
        return obj.get_index(key, trace)
    if isinstance(obj, list):
        number = as_number(key)
        if not isinstance(number, int) or isinstance(number, bool):
            return Invalid(f"a list index must be a whole number, not {display(key)}")
        if 0 <= number < len(obj):
            return obj[number]
        return Invalid(f"index {number} is out of range for a list of {len(obj)}")
    if isinstance(obj, dict):
        text = to_string(key)
        if isinstance(text, Unknown):
            return text
        if text in obj:
            return obj[text]
        return Invalid(f"no key {display(text)}")
    if hasattr(obj, "get_attr") and isinstance(key, str):
        return obj.get_attr(key, trace)
    if obj is None:
        return Invalid("cannot index null")
    return Invalid(f"cannot index {_kind(obj)}")


def _kind(value: Any) -> str:
    """A value's type as Terraform names it."""
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "this value"
