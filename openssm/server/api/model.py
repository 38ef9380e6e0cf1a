"""botocore's SSM service model, compiled into request validators and response shapers.

The model (botocore ``data/ssm/2014-11-06/service-2.json``) is the wire contract. Every shape is
compiled once, at construction, into a small node; a request or response then walks plain dicts and
never touches botocore objects.

Requests are checked the way AWS JSON services check them server-side:

- A body that is not a JSON object, or a value of the wrong JSON type, fails deserialization:
  ``SerializationException`` naming the member, raised at the first one found, value never echoed.
- Constraint violations (required, length, range, pattern, enum) are all collected into one
  ``ValidationException``: ``2 validation errors detected: Value 'x' at 'name' failed to satisfy
  constraint: Member must ...; Value ...``. A missing or null required member prints ``Value null``.
- Paths are lowerCamel member names joined by dots. List elements are ``names.1.member`` (1-based),
  as AWS prints them; map entries are ``parameters.<key>``, and a bad map key is reported at the map
  with ``Map keys must satisfy constraint: [...]``, AWS's wording.
- Unknown members and JSON nulls are dropped (copy-on-write), as Coral ignores unknown properties,
  so handlers only ever see modelled members.
- A value holding a ``sensitive`` shape anywhere below it prints as ``'***'``: a secret never
  reaches an error message.
- Lengths count code points (Smithy's rule). Timestamps are JSON numbers (epoch seconds); every AWS
  SDK sends numbers for ``json`` 1.1, so an ISO string is a type error. Union shapes are checked
  as plain structures.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import re
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import botocore.session

from openssm import java_regex as java_regex_syntax
from openssm.errors import (
    OpenSSMError,
    SerializationException,
    UnknownOperationException,
    ValidationException,
)

_Shapes = Mapping[str, Mapping[str, Any]]
_Dump = Callable[[Any], Any]

_API_VERSION = "2014-11-06"
# Members masked even if the model forgets the trait (SECURITY: secrets never reach a message).
_SECRET_MEMBERS = frozenset({("PutParameterRequest", "Value")})
_INT_RANGE = {"integer": 2**31, "long": 2**63}
# shape type -> (the Python types json.loads gives for it, how a type error describes it)
_KINDS: dict[str, tuple[tuple[type, ...], str]] = {
    "string": ((str,), "a string"),
    "blob": ((str,), "a base64 string"),
    "boolean": ((bool,), "a boolean"),
    "integer": ((int,), "a 32-bit integer"),
    "long": ((int,), "a 64-bit integer"),
    "double": ((int, float), "a number"),
    "float": ((int, float), "a number"),  # CloudTrail's model has them
    "timestamp": ((int, float), "a number of epoch seconds"),
    "list": ((list,), "an array"),
    "map": ((dict,), "an object"),
    "structure": ((dict,), "an object"),
}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MS = dt.timedelta(milliseconds=1)

# --- Java regexes ----------------------------------------------------------------------------

_Z = "\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"  # \p{Z}: Zs + Zl + Zp
# Java's \w \d \s are ASCII-only (no UNICODE_CHARACTER_CLASS), Python's are Unicode, so each is
# spelled out: (outside a class, inside a class). Python's Unicode \w is exactly \p{L} + \p{N} + _;
# every model class naming \p{L} also names \p{N} and _, so that union is exact (a test checks).
_ESCAPES: dict[str, tuple[str, str]] = {
    r"\w": ("[0-9A-Za-z_]", "0-9A-Za-z_"),
    r"\W": ("[^0-9A-Za-z_]", r"\x00-/:-@\[-\^`{-\U0010ffff"),
    r"\d": ("[0-9]", "0-9"),
    r"\D": ("[^0-9]", r"\x00-/:-\U0010ffff"),
    r"\s": (r"[\t-\r ]", r"\t-\r "),
    r"\S": (r"[^\t-\r ]", r"\x00-\x08\x0e-\x1f!-\U0010ffff"),
    r"\p{L}": (r"[^\W\d_]", r"\w"),
    r"\p{N}": (r"[^\W_]", r"\w"),
    r"\p{Z}": (f"[{_Z}]", _Z),
}


@functools.cache
def java_regex(pattern: str) -> re.Pattern[str] | None:
    """Compile a model (Java) regex for ``fullmatch``, as AWS matches the whole value.

    Returns None when the pattern cannot be expressed in Python ``re``: the constraint is then
    skipped rather than failing every request (no pattern in botocore 1.43.11 hits this).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # "possible nested set": today's meaning
            return re.compile(java_regex_syntax.translate(pattern, _ESCAPES))
    except (re.error, ValueError):
        return None


# --- input -----------------------------------------------------------------------------------


def _render(value: object) -> str:
    """Java-style toString, which is how AWS echoes a value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_render(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_render(v)}" for k, v in value.items()) + "}"
    return str(value)


def _problem(value: object, path: str, text: str, mask: bool) -> str:
    shown = "'***'" if mask else f"'{_render(value)}'"
    # A lone surrogate is echoed as its escape: the message must encode, in logs too.
    shown = shown.encode("utf-8", "backslashreplace").decode("utf-8")
    return f"Value {shown} at '{path}' failed to satisfy constraint: {text}"


# JSON can carry a lone UTF-16 surrogate as an escape (\ud800); it is no character, so it has
# no UTF-8 form to store, hash, log or send on to an agent. Refused here, once, for every member.
_SURROGATE_TEXT = "Member must not contain a lone UTF-16 surrogate (U+D800 to U+DFFF)"


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _null(path: str) -> str:
    return f"Value null at '{path}' failed to satisfy constraint: Member must not be null"


_JSON_KINDS = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number"}


def _mismatch(path: str, kind: str, value: object) -> SerializationException:
    found = _JSON_KINDS.get(type(value), "number")
    expected = _KINDS[kind][1]
    return SerializationException(f"Value at '{path}' must be {expected}, not a JSON {found}")


class _Limits:
    """min/max of a shape: a length for strings, blobs, lists and maps, else a value."""

    __slots__ = ("hi", "hi_text", "lo", "lo_text")

    def __init__(self, shape: Mapping[str, Any]) -> None:
        what = "value" if shape["type"] in ("integer", "long", "double") else "length"
        self.lo: float | None = shape.get("min") or None
        self.hi: float | None = shape.get("max")
        self.lo_text = f"Member must have {what} greater than or equal to {self.lo}"
        self.hi_text = f"Member must have {what} less than or equal to {self.hi}"

    def texts(self, measure: float, out: list[str]) -> None:
        if self.lo is not None and measure < self.lo:
            out.append(self.lo_text)
        if self.hi is not None and measure > self.hi:
            out.append(self.hi_text)


class _Node:
    """One compiled input shape: ``check`` raises on a wrong JSON type, appends violations to
    ``errors`` and returns the value with unknown members and nulls dropped."""

    __slots__ = ()

    def check(self, value: object, path: str, errors: list[str], mask: bool) -> object:
        raise NotImplementedError


class _Scalar(_Node):
    __slots__ = ("enum", "enum_text", "kind", "limits", "regex", "regex_text", "types")

    def __init__(self, shape: Mapping[str, Any]) -> None:
        self.kind: str = shape["type"]
        self.types = _KINDS[self.kind][0]
        self.limits = _Limits(shape) if "min" in shape or "max" in shape else None
        self.enum: frozenset[str] | None = frozenset(shape["enum"]) if "enum" in shape else None
        self.enum_text = f"Member must satisfy enum value set: [{', '.join(shape.get('enum', ()))}]"
        pattern = shape.get("pattern")
        self.regex = java_regex(pattern) if pattern else None
        self.regex_text = f"Member must satisfy regular expression pattern: {pattern}"

    def texts(self, value: Any, path: str) -> list[str]:
        """The constraints ``value`` fails, as AWS words them; raises on a wrong JSON type."""
        kind = self.kind
        if type(value) not in self.types:  # exact types: True is not an integer here
            raise _mismatch(path, kind, value)
        measure: Any = value
        out: list[str] = []
        if kind == "string":
            measure = len(value)
            if not value.isascii() and not _encodable(value):
                out.append(_SURROGATE_TEXT)
        elif kind == "blob":
            try:
                measure = len(binascii.a2b_base64(value, strict_mode=True))
            except ValueError:
                raise _mismatch(path, kind, value) from None
        elif kind in _INT_RANGE and not -_INT_RANGE[kind] <= value < _INT_RANGE[kind]:
            raise _mismatch(path, kind, value)
        if self.limits is not None:
            self.limits.texts(measure, out)
        if self.regex is not None and self.regex.fullmatch(value) is None:  # strings only
            out.append(self.regex_text)
        if self.enum is not None and value not in self.enum:
            out.append(self.enum_text)
        return out

    def check(self, value: object, path: str, errors: list[str], mask: bool) -> object:
        if texts := self.texts(value, path):
            errors.extend(_problem(value, path, text, mask) for text in texts)
        return value


class _List(_Node):
    __slots__ = ("item", "limits")

    def __init__(self, shape: Mapping[str, Any], item: _Node) -> None:
        self.item = item
        self.limits = _Limits(shape)

    def check(self, value: object, path: str, errors: list[str], mask: bool) -> object:
        if type(value) is not list:
            raise _mismatch(path, "list", value)
        texts: list[str] = []
        self.limits.texts(len(value), texts)
        if texts:
            errors.extend(_problem(value, path, text, mask) for text in texts)
        out = value
        for i, item in enumerate(value, 1):
            item_path = f"{path}.{i}.member"
            if item is None:
                errors.append(_null(item_path))
                continue
            new = self.item.check(item, item_path, errors, mask)
            if new is not item:
                if out is value:
                    out = list(value)
                out[i - 1] = new
        return out


class _Map(_Node):
    __slots__ = ("key", "limits", "value")

    def __init__(self, shape: Mapping[str, Any], key: _Scalar, value: _Node) -> None:
        self.key = key
        self.value = value
        self.limits = _Limits(shape)

    def check(self, value: object, path: str, errors: list[str], mask: bool) -> object:
        if type(value) is not dict:
            raise _mismatch(path, "map", value)
        texts: list[str] = []
        self.limits.texts(len(value), texts)
        out = value
        for key, item in value.items():
            if bad := self.key.texts(key, path):
                texts.append(f"Map keys must satisfy constraint: [{', '.join(bad)}]")
            if item is None:
                texts.append("Map value must not be null")
            elif isinstance(self.value, _Scalar):
                if bad := self.value.texts(item, f"{path}.{key}"):
                    texts.append(f"Map value must satisfy constraint: [{', '.join(bad)}]")
            elif (new := self.value.check(item, f"{path}.{key}", errors, mask)) is not item:
                if out is value:
                    out = dict(value)
                out[key] = new
        errors.extend(_problem(value, path, text, mask) for text in texts)
        return out


class _Struct(_Node):
    __slots__ = ("members", "required")

    def __init__(self) -> None:  # filled in after registration, so shapes may recurse
        self.members: dict[str, tuple[str, _Node, bool]] = {}  # name -> (camel, node, secret)
        self.required: tuple[tuple[str, str], ...] = ()

    def check(self, value: object, path: str, errors: list[str], mask: bool) -> dict[str, Any]:
        if type(value) is not dict:
            raise _mismatch(path, "structure", value)
        prefix = f"{path}." if path else ""
        members = self.members
        out = value
        for key, item in value.items():
            member = members.get(key)
            if member is None or item is None:
                if out is value:
                    out = dict(value)
                del out[key]
                continue
            camel, node, secret = member
            new = node.check(item, prefix + camel, errors, mask or secret)
            if new is not item:
                if out is value:
                    out = dict(value)
                out[key] = new
        for name, camel in self.required:
            if value.get(name) is None:
                errors.append(_null(prefix + camel))
        return out


# --- output ----------------------------------------------------------------------------------


class OutputShapeError(OpenSSMError):
    """A handler returned something its operation's output shape does not allow (strict mode)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.path: list[str] = []  # innermost first; each level appends its own segment

    def __str__(self) -> str:
        return f"{''.join(reversed(self.path))}: {self.problem}"


class _OutStruct:
    __slots__ = ("members", "name", "strict")

    def __init__(self, name: str, strict: bool) -> None:
        self.name = name
        self.strict = strict
        self.members: dict[str, _Dump | None] = {}  # None: JSON-ready as it is

    def dump(self, value: Any) -> Any:
        if not isinstance(value, Mapping):
            if self.strict:
                raise OutputShapeError(f"{self.name} needs a mapping, got {type(value).__name__}")
            return value
        out: dict[str, Any] = {}
        members = self.members
        for key, item in value.items():
            if item is None:
                continue
            if key not in members:
                if self.strict:
                    raise OutputShapeError(f"{key!r} is not a member of {self.name}")
                continue
            dump = members[key]
            if dump is None:
                out[key] = item
                continue
            try:
                out[key] = dump(item)
            except OutputShapeError as exc:
                exc.path.append(f".{key}")
                raise
        return out


def _dump_items(item: _Dump, strict: bool, kind: str) -> _Dump:
    """The dumper of a list or map whose elements ``item`` shapes."""
    is_list = kind == "list"
    accepted: Any = (list, tuple) if is_list else Mapping

    def dump(value: Any) -> Any:
        if not isinstance(value, accepted):
            if strict:
                raise OutputShapeError(f"{kind} expected, got {type(value).__name__}")
            return value
        out: dict[Any, Any] = {}  # a list is built by index, so errors can name it
        for key, element in enumerate(value) if is_list else value.items():
            try:
                out[key] = element if element is None else item(element)
            except OutputShapeError as exc:
                exc.path.append(f"[{key!r}]")
                raise
        return list(out.values()) if is_list else out

    return dump


def _dump_scalar(shape: Mapping[str, Any], strict: bool) -> _Dump | None:
    kind = shape["type"]
    if kind == "timestamp":

        def epoch(value: Any) -> Any:
            if isinstance(value, dt.datetime):
                if value.tzinfo is None:
                    if strict:
                        raise OutputShapeError("naive datetime; use an aware one")
                    value = value.replace(tzinfo=dt.UTC)
                return ((value - _EPOCH) // _MS) / 1000
            if strict:
                raise OutputShapeError(f"timestamp needs a datetime, got {type(value).__name__}")
            return value

        return epoch
    if kind == "blob":

        def b64(value: Any) -> Any:
            if isinstance(value, bytes | bytearray | memoryview):
                return base64.b64encode(value).decode("ascii")
            if strict:
                raise OutputShapeError(f"blob needs bytes, got {type(value).__name__}")
            return value

        return b64
    if not strict:
        return None
    types = _KINDS[kind][0]
    enum = frozenset(shape.get("enum", ()))

    def checked(value: Any) -> Any:
        if not isinstance(value, types) or (kind != "boolean" and isinstance(value, bool)):
            raise OutputShapeError(f"{kind} expected, got {type(value).__name__}")
        if enum and value not in enum:
            raise OutputShapeError(f"{value!r} is not one of {sorted(enum)}")
        return value

    return checked


# --- the model -------------------------------------------------------------------------------


def load_service_model(service: str) -> Mapping[str, Any]:
    """botocore's model of ``service`` (``ssm`` at the API version openssm speaks, else the
    newest botocore ships)."""
    loader = botocore.session.get_session().get_component("data_loader")
    version = _API_VERSION if service == "ssm" else None
    model: Mapping[str, Any] = loader.load_service_model(service, "service-2", api_version=version)
    return model


class ServiceModel:
    """The SSM model, compiled once: request validation and response shaping per operation.

    ``strict`` makes ``shape_output`` raise ``OutputShapeError`` on members or types the output
    shape does not allow (tests run strict); otherwise unknown members are dropped silently.
    ``model`` replaces botocore's SSM model: another service's (``load_service_model``), or one
    for tests that need a shape it lacks.
    """

    def __init__(self, *, strict: bool = False, model: Mapping[str, Any] | None = None) -> None:
        if model is None:
            model = load_service_model("ssm")
        self._shapes: _Shapes = model["shapes"]
        self._strict = strict
        self._nodes: dict[str, _Node] = {}
        self._dumpers: dict[str, _Dump | None] = {}
        self._sensitive: dict[str, bool] = {}
        self._inputs: dict[str, _Struct] = {}
        self._outputs: dict[str, _Dump] = {}
        for name, op in model["operations"].items():
            node = self._node(op["input"]["shape"]) if "input" in op else _Struct()
            assert isinstance(node, _Struct), f"{name} input is not a structure"
            self._inputs[name] = node
            dump = self._dumper(op["output"]["shape"]) if "output" in op else None
            self._outputs[name] = dump or _OutStruct(name, strict).dump
        self._operations = frozenset(self._inputs)
        self._exceptions = frozenset(n for n, s in self._shapes.items() if s.get("exception"))

    def operation_names(self) -> frozenset[str]:
        return self._operations

    def has_operation(self, name: str) -> bool:
        return name in self._operations

    def exception_names(self) -> frozenset[str]:
        return self._exceptions

    def validate_input(self, operation: str, body: object) -> dict[str, Any]:
        """Check a decoded request body; returns it with unknown members and nulls dropped."""
        node = self._inputs.get(operation)
        if node is None:
            raise UnknownOperationException(f"Unknown operation {operation}")
        if type(body) is not dict:
            found = _JSON_KINDS.get(type(body), "null" if body is None else "number")
            raise SerializationException(f"Request body must be a JSON object, not a JSON {found}")
        errors: list[str] = []
        out = node.check(body, "", errors, False)
        if errors:
            n = len(errors)
            head = f"{n} validation error{'s' if n > 1 else ''} detected: "
            raise ValidationException(head + "; ".join(errors))
        return out

    def shape_output(self, operation: str, output: Mapping[str, Any]) -> dict[str, Any]:
        """Turn a handler's result into the operation's JSON-ready output."""
        dump = self._outputs.get(operation)
        if dump is None:
            raise UnknownOperationException(f"Unknown operation {operation}")
        try:
            result: dict[str, Any] = dump(output)
        except OutputShapeError as exc:
            exc.path.append(operation)
            raise
        return result

    def _node(self, name: str) -> _Node:
        if (cached := self._nodes.get(name)) is not None:
            return cached
        shape = self._shapes[name]
        kind = shape["type"]
        if kind == "structure":
            struct = self._nodes[name] = _Struct()
            for member, ref in shape["members"].items():
                secret = (name, member) in _SECRET_MEMBERS or self._secret(ref["shape"])
                camel = member[:1].lower() + member[1:]
                struct.members[member] = (camel, self._node(ref["shape"]), secret)
            struct.required = tuple((m, m[:1].lower() + m[1:]) for m in shape.get("required", ()))
            return struct
        if kind == "list":
            node: _Node = _List(shape, self._node(shape["member"]["shape"]))
        elif kind == "map":
            key = _Scalar(self._shapes[shape["key"]["shape"]])
            node = _Map(shape, key, self._node(shape["value"]["shape"]))
        else:
            node = _Scalar(shape)
        self._nodes[name] = node
        return node

    def _secret(self, name: str) -> bool:
        """Whether the shape is ``sensitive`` or holds a sensitive shape anywhere below it."""
        if name in self._sensitive:
            return self._sensitive[name]
        self._sensitive[name] = False  # a shape that recurses into itself adds nothing new
        shape = self._shapes[name]
        refs = [r["shape"] for r in shape.get("members", {}).values()]
        refs += [shape[k]["shape"] for k in ("member", "key", "value") if k in shape]
        found = bool(shape.get("sensitive")) or any(self._secret(r) for r in refs)
        self._sensitive[name] = found
        return found

    def _dumper(self, name: str) -> _Dump | None:
        if name in self._dumpers:
            return self._dumpers[name]
        shape = self._shapes[name]
        kind = shape["type"]
        if kind == "structure":
            struct = _OutStruct(name, self._strict)
            self._dumpers[name] = struct.dump
            for member, ref in shape["members"].items():
                struct.members[member] = self._dumper(ref["shape"])
            return struct.dump
        dump: _Dump | None
        if kind in ("list", "map"):
            item = self._dumper(shape["member" if kind == "list" else "value"]["shape"])
            dump = None if item is None else _dump_items(item, self._strict, kind)
        else:
            dump = _dump_scalar(shape, self._strict)
        self._dumpers[name] = dump
        return dump
