"""The AWS CLI's shorthand syntax (``Name=tag:env,Values=prod,staging``), parsed as the AWS CLI parses it.

Hand-written, after measuring the real parser: ``awscli`` 1.46 is a 20.2 MB wheel (151 MB
installed, most of it examples and a vendored botocore) against a 10 MB budget for the whole
layer, it pins its own botocore, and importing ``awscli.shorthand`` adds 35 ms (``argprocess``,
30 ms) on top of botocore. The grammar is small and documented (AWS CLI User Guide, "Using
shorthand syntax"; the ABNF in ``awscli/shorthand.py``), and the tests check this parser
against ``awscli.shorthand.ShorthandParser`` itself (a dev dependency), on a table of real
values and on generated ones::

    parameter        = keyval *("," keyval)
    keyval           = key "=" [values]
    key              = 1*(ALPHA / DIGIT / "-" / "_" / "." / "#" / "/" / ":")
    values           = csv-value / explicit-list / hash-literal
    csv-value        = first-value *("," second-value)    ; more than one: a list
    first-value      = value / single-quoted-val / double-quoted-val
    second-value     = value-no-equals / single-quoted-val / double-quoted-val
    explicit-list    = "[" [explicit-values *("," explicit-values)] "]"
    explicit-values  = value / single-quoted-val / double-quoted-val / hash-literal
    hash-literal     = "{" keyval *("," keyval) "}"

Values are strings, lists and objects; the caller converts them to the model's types
(:mod:`aws_mcp.executor.command`), as the AWS CLI does after parsing. The structure follows the
AWS CLI's own recursive descent (Apache-2.0), its character classes and its backtracking, so
that the same text means the same thing; ``key@=file://...`` (read a local file) is refused:
the server reads no files on a caller's behalf.
"""

from __future__ import annotations

import re
import string
from typing import Any, Final

__all__ = ["ShorthandError", "parse_shorthand"]

_START_WORD: Final = r"\!\#-&\(-\+\--\<\>-Z\\\\-z\u007c-\uffff"
_FIRST_FOLLOW: Final = r"\s\!\#-&\(-\+\--\\\\\^-\|~-\uffff"
_SECOND_FOLLOW: Final = r"\s\!\#-&\(-\+\--\<\>-\uffff"
_ESCAPED_COMMA: Final = "(\\\\,)"
_FIRST_VALUE: Final = re.compile(f"({_ESCAPED_COMMA}|[{_START_WORD}])({_ESCAPED_COMMA}|[{_FIRST_FOLLOW}])*")
_SECOND_VALUE: Final = re.compile(f"({_ESCAPED_COMMA}|[{_START_WORD}])({_ESCAPED_COMMA}|[{_SECOND_FOLLOW}])*")
_SINGLE_QUOTED: Final = re.compile(r"'(?:\\'|[^'])*'")
_DOUBLE_QUOTED: Final = re.compile(r'"(?:\\"|[^"])*"')
_KEY_CHARS: Final = frozenset(string.ascii_letters + string.digits + "-_.#/:")


class ShorthandError(ValueError):
    """Text that is not shorthand: says where, and what was expected."""

    def __init__(self, value: str, index: int, expected: str) -> None:
        self.value, self.index, self.expected = value, index, expected
        shown = value[:index] + "<here>" + value[index:]
        super().__init__(f"expected {expected} at character {index} of {shown!r}")


def parse_shorthand(value: str) -> dict[str, Any]:
    """``value`` as the AWS CLI reads shorthand: an object of strings, lists and objects."""
    return _Parser(value).parameter()


class _Parser:
    def __init__(self, text: str) -> None:
        self._text = text
        self._i = 0

    def parameter(self) -> dict[str, Any]:
        params: dict[str, Any] = {}
        key, value = self._keyval()
        params[key] = value
        while self._i < len(self._text):
            self._expect(",", spaces=True)
            at = self._i
            key, value = self._keyval()
            if key in params:
                raise ShorthandError(self._text, at, f"no second {key!r} (a ',' where a space was meant?)")
            params[key] = value
        return params

    def _keyval(self) -> tuple[str, Any]:
        key = self._key()
        self._spaces()
        if self._current() == "@":
            raise ShorthandError(self._text, self._i, "'=' (key@=file://... reads a file: not here)")
        self._expect("=", spaces=True)
        return key, self._values()

    def _key(self) -> str:
        start = self._i
        while self._i < len(self._text) and self._text[self._i] in _KEY_CHARS:
            self._i += 1
        return self._text[start : self._i]

    def _values(self) -> Any:
        if self._i >= len(self._text):
            return ""
        if self._current() == "[":
            return self._explicit_list()
        if self._current() == "{":
            return self._hash_literal()
        return self._csv_value()

    def _csv_value(self) -> Any:
        first = self._first_value()
        self._spaces()
        if self._i >= len(self._text) or self._current() != ",":
            return first
        self._expect(",", spaces=True)
        values = [first]
        while True:
            try:
                current = self._second_value()
                self._spaces()
                if self._i >= len(self._text):
                    values.append(current)
                    break
                self._expect(",", spaces=True)
                values.append(current)
            except ShorthandError:
                # "a=b,c=d": what followed the comma was the next key; back to the comma.
                if self._i >= len(self._text):
                    raise
                while self._i >= 0 and self._text[self._i] != ",":
                    self._i -= 1
                break
        return first if len(values) == 1 else values

    def _first_value(self) -> str:
        if self._current() == "'":
            return self._quoted(_SINGLE_QUOTED, "'")
        if self._current() == '"':
            return self._quoted(_DOUBLE_QUOTED, '"')
        found = _FIRST_VALUE.match(self._text, self._i)
        if found is None:
            return ""
        self._i = found.end()
        return found.group(0).replace("\\,", ",").rstrip()

    def _second_value(self) -> str:
        if self._current() == "'":
            return self._quoted(_SINGLE_QUOTED, "'")
        if self._current() == '"':
            return self._quoted(_DOUBLE_QUOTED, '"')
        found = _SECOND_VALUE.match(self._text, self._i)
        if found is None:
            raise ShorthandError(self._text, self._i, "a value")
        self._i = found.end()
        return found.group(0).replace("\\,", ",").rstrip()

    def _explicit_list(self) -> list[Any]:
        self._expect("[", spaces=True)
        values: list[Any] = []
        while self._current() != "]":
            values.append(self._explicit_value())
            self._spaces()
            if self._current() != "]":
                self._expect(",")
                self._spaces()
        self._expect("]")
        return values

    def _explicit_value(self) -> Any:
        if self._current() == "[":
            return self._explicit_list()
        if self._current() == "{":
            return self._hash_literal()
        return self._first_value()

    def _hash_literal(self) -> dict[str, Any]:
        self._expect("{", spaces=True)
        found: dict[str, Any] = {}
        while self._current() != "}":
            key = self._key()
            self._spaces()
            if self._current() == "@":
                raise ShorthandError(self._text, self._i, "'=' (key@=file://... reads a file: not here)")
            self._expect("=", spaces=True)
            value = self._explicit_value()
            self._spaces()
            if self._current() != "}":
                self._expect(",")
                self._spaces()
            found[key] = value
        self._expect("}")
        return found

    def _quoted(self, pattern: re.Pattern[str], quote: str) -> str:
        found = pattern.match(self._text, self._i)
        if found is None:
            raise ShorthandError(self._text, self._i, f"a closing {quote}")
        self._i = found.end()
        return found.group(0)[1:-1].replace("\\" + quote, quote).replace("\\\\", "\\")

    def _current(self) -> str:
        if self._i >= len(self._text):
            raise ShorthandError(self._text, self._i, "more (the value ended early)")
        return self._text[self._i]

    def _expect(self, char: str, *, spaces: bool = False) -> None:
        if spaces:
            self._spaces()
        if self._i >= len(self._text) or self._text[self._i] != char:
            raise ShorthandError(self._text, self._i, repr(char))
        self._i += 1
        if spaces:
            self._spaces()

    def _spaces(self) -> None:
        while self._i < len(self._text) and self._text[self._i] in string.whitespace:
            self._i += 1
