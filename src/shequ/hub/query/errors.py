"""The one error every part of ``hub.query`` raises, and the messages it can carry.

A ``QueryError`` holds a message code, its parameters and where in the SQL the problem is,
not a finished sentence: ``text`` is the message in the active language (zh-Hans by default),
``message`` the same in English (for logs, the audit log and tests). Every sentence is in the
user's terms (line and column, the token as written, "did you mean …?"); none names a library,
a Python class or an internal error type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from shequ.core.errors import STATUS_CODES, ServiceError

# code -> English message (the msgid); parameters are filled in after translation.
MESSAGES: dict[str, str] = {
    # --- reading the SQL ---------------------------------------------------------------------
    "sql_empty": gettext_noop("The SQL is empty."),
    "sql_not_text": gettext_noop("The SQL must be text."),
    "sql_too_long": gettext_noop(
        "The SQL is %(length)s characters long; the hub runs queries of up to %(max)s characters."
    ),
    "sql_too_deep": gettext_noop("The SQL is nested too deeply to check."),
    "syntax_unexpected": gettext_noop(
        "The SQL could not be parsed at line %(line)s, column %(col)s: %(token)s is not expected "
        "there."
    ),
    "syntax_incomplete": gettext_noop(
        "The SQL could not be parsed at line %(line)s, column %(col)s: something is missing "
        "after %(token)s (the SQL ends there, or a part is left out)."
    ),
    "syntax_missing": gettext_noop(
        "The SQL could not be parsed at line %(line)s, column %(col)s: something is missing "
        "near %(token)s."
    ),
    "syntax_expected": gettext_noop(
        "The SQL could not be parsed at line %(line)s, column %(col)s: %(expected)s is expected "
        "near %(token)s."
    ),
    "syntax_table_expected": gettext_noop(
        "The SQL could not be parsed at line %(line)s, column %(col)s: a dataset name is expected "
        "there, not %(token)s."
    ),
    "syntax_unclosed": gettext_noop(
        "The SQL could not be parsed: the quote %(quote)s opened at line %(line)s, column "
        "%(col)s is never closed."
    ),
    "syntax_unreadable": gettext_noop("The SQL could not be parsed near %(token)s."),
    "syntax_no_columns": gettext_noop(
        "SELECT names no column: list the columns to return (or * for all of them)."
    ),
    "one_statement": gettext_noop(
        "Only one statement may be run at a time; this SQL has %(count)s (remove the semicolon "
        "and what follows it)."
    ),
    # --- what the policy refuses -------------------------------------------------------------
    "not_a_query": gettext_noop(
        "Only a query (SELECT, or WITH … SELECT) may be run, not %(kind)s."
    ),
    "not_a_query_at_all": gettext_noop(
        "Only a query (SELECT, or WITH … SELECT) may be run, not this statement."
    ),
    "statement_refused": gettext_noop(
        "%(kind)s is not allowed in a hub query; only queries run here."
    ),
    "select_into": gettext_noop(
        "SELECT … INTO is not allowed in a hub query; only queries run here."
    ),
    "method_call": gettext_noop(
        "Qualified and method-call functions such as %(call)s() are not allowed; call functions "
        "by their name alone."
    ),
    "function_refused": gettext_noop(
        "Function %(name)s() is not allowed in hub queries (only calculations on the datasets' "
        "columns are: no file, network, system or settings functions)."
    ),
    "table_function": gettext_noop(
        "Table functions such as %(name)s() are not allowed; query datasets by their key."
    ),
    "qualified_name": gettext_noop(
        "Qualified names such as %(name)s are not allowed; name a dataset by its key alone."
    ),
    "table_clause": gettext_noop(
        "Table %(name)s has a clause the hub does not support (%(clauses)s)."
    ),
    "file_path": gettext_noop("%(name)s is not a dataset: reading files or paths is not allowed."),
    "pin_syntax": gettext_noop(
        "Read %(name)s at a version with %(name)s AT (VERSION => 3) or at a time with %(name)s "
        "AT (TIMESTAMP => '2026-05-01 08:00')."
    ),
    "pin_value": gettext_noop(
        "%(name)s AT (%(kind)s => %(value)s): a version is a whole number, a timestamp a quoted "
        "date and time."
    ),
    "unsafe_table": gettext_noop("The SQL could not be checked safely (table %(name)s)."),
    "unsafe": gettext_noop("The SQL could not be checked safely; simplify it and try again."),
    # --- datasets, fields, versions ----------------------------------------------------------
    "unknown_dataset": gettext_noop(
        "Unknown dataset %(name)s: no dataset you may see has this key or title."
    ),
    "ambiguous_dataset": gettext_noop(
        "%(name)s is the title of several datasets: %(candidates)s; name the one you mean by "
        "its key."
    ),
    "no_grant": gettext_noop("You have no grant for dataset %(name)s (request it in the hub)."),
    "no_columns": gettext_noop("Your grant on %(name)s does not cover any column."),
    "ambiguous_field": gettext_noop(
        "%(name)s is the title of several fields: %(candidates)s; name the one you mean."
    ),
    "version_not_read": gettext_noop(
        "A version was given for %(names)s, which the query does not read."
    ),
    "no_version": gettext_noop("Dataset %(name)s has no version %(version)s."),
    "expired_version": gettext_noop(
        "Version %(version)s of dataset %(name)s has expired: its data files were deleted "
        "%(hours)s hours after a later version replaced them."
    ),
    "no_version_at": gettext_noop("Dataset %(name)s has no version at or before %(moment)s."),
    "bad_time": gettext_noop("%(value)s is not a date and time (write 2026-05-01 08:00:00)."),
    "bad_limit": gettext_noop("The row limit must be between 1 and %(max)s."),
    "bad_timeout": gettext_noop("The time limit must be a positive number of seconds."),
    # --- running ------------------------------------------------------------------------------
    "unknown_column": gettext_noop('Column "%(name)s" not found in the datasets the query reads.'),
    "unknown_column_in": gettext_noop('%(table)s has no column "%(name)s".'),
    "unknown_table": gettext_noop('The query has no table or alias "%(name)s".'),
    "ambiguous_column": gettext_noop(
        'Column "%(name)s" is in more than one table of the query; write %(candidates)s.'
    ),
    "group_by": gettext_noop(
        'Column "%(name)s" must be in GROUP BY or inside an aggregate such as any_value(%(name)s).'
    ),
    "argument_types": gettext_noop(
        "%(call)s: no function takes arguments of these types; convert them with CAST."
    ),
    "conversion": gettext_noop(
        "A value could not be converted to %(type)s (the value is not shown: it may be personal "
        "information); compare values of the same type, or use TRY_CAST."
    ),
    "bad_value": gettext_noop(
        "A value is not valid for this operation, for example a text that does not match a date "
        "format or an invalid regular expression (the value is not shown: it may be personal "
        "information)."
    ),
    "order_range": gettext_noop(
        "A column number in ORDER BY is out of range: the result has %(count)s columns."
    ),
    "set_columns": gettext_noop(
        "The parts of a UNION, INTERSECT or EXCEPT must return the same number of columns."
    ),
    "masked_match": gettext_noop(
        "%(name)s is masked for you, and many people share one masked value: matching on it "
        "would pair different people. Match on a field that is not personal, or request a "
        "grant to use %(name)s in clear."
    ),
    "masked_group": gettext_noop(
        "%(name)s is masked for you, and many people share one masked value: grouping by it "
        "would merge different people. Group by a field that is not personal, or request a "
        "grant to use %(name)s in clear."
    ),
    "masked_distinct": gettext_noop(
        "%(name)s is masked for you, and many people share one masked value: its distinct "
        "values are not distinct people. Count rows, or request a grant to use %(name)s in "
        "clear."
    ),
    "failed": gettext_noop("The query failed: %(detail)s"),
    "failed_plain": gettext_noop("The query failed."),
    "timeout": gettext_noop(
        "The query took longer than %(seconds)s s and was cancelled; filter or aggregate more, "
        "or ask for a longer time limit."
    ),
    "sandbox": gettext_noop("The query tried to reach something outside its datasets."),
    "memory": gettext_noop(
        "The query needs more memory than the hub allows (%(limit)s); filter or aggregate more."
    ),
    "unreadable": gettext_noop("The files of %(names)s could not be read; tell the hub team."),
    # --- the rows that changed between two versions (flowback) -------------------------------
    "changes_column": gettext_noop("Dataset %(name)s has a column named %(column)s."),
    "changes_no_versions": gettext_noop("Dataset %(name)s has no versions yet."),
    "changes_since": gettext_noop(
        "since must be a version from 0 to until - 1 (since=%(since)s, until=%(until)s)."
    ),
    "changes_until": gettext_noop(
        "Dataset %(name)s has no version %(until)s (newest: %(newest)s)."
    ),
    "changes_limit": gettext_noop("limit must be between 1 and %(max)s."),
    "changes_offset": gettext_noop("offset must not be negative."),
    "changes_op": gettext_noop("op must be one of %(ops)s."),
    # --- resource limits (see ``limits``) -------------------------------------------------------
    "busy_user": gettext_noop(
        "You already have %(count)s queries running (the most one person may); wait for one to "
        "finish."
    ),
    "busy": gettext_noop(
        "The hub is running %(count)s queries (the most it runs at once); try again in a moment."
    ),
    "result_too_large": gettext_noop(
        "The result is larger than the %(size)s a query may return; select fewer columns or "
        "rows, or aggregate."
    ),
    "spark_unsupported": gettext_noop(
        "The query uses SQL that the hub's Spark engine cannot run; rewrite it with standard "
        "functions."
    ),
    "spark_failed": gettext_noop("The query failed on the Spark engine (%(condition)s)."),
    "spark_delta_features": gettext_noop(
        "Dataset %(name)s uses Delta features (%(features)s) that the Spark engine can read "
        "only through the Delta connector; tell the hub team."
    ),
}
WHERE = gettext_noop("Line %(line)s, column %(col)s: %(message)s")
DID_YOU_MEAN = gettext_noop("Did you mean %(names)s?")
EITHER = gettext_noop("%(first)s or %(second)s")


@dataclass(frozen=True)
class Suggestion:
    """A dataset or field the user may have meant: its name, with its titles to show."""

    name: str
    title: str = ""
    title_en: str = ""

    def label(self) -> str:
        english = (translation.get_language() or "").startswith("en")
        title = (self.title_en if english else "") or self.title
        return f"{self.name} ({title})" if title and title != self.name else self.name


class QueryError(ServiceError):
    """A query was refused or failed; ``status`` is the HTTP status that fits.

    400: the SQL is not allowed or does not run; 403: no grant for a dataset; 404: no such
    dataset or version; 408: the query ran out of time and was cancelled; 500: a fault of the
    hub (a dataset's files cannot be read). ``code`` is one of ``MESSAGES`` (or "" for a plain
    English message), ``dataset`` the key of the dataset the error is about, ``where`` the line
    and column in the user's SQL, ``suggestions`` the names the user may have meant.
    """

    def __init__(
        self,
        message: str,
        status: int = 400,
        *,
        code: str = "",
        params: Mapping[str, Any] | None = None,
        dataset: str | None = None,
        where: tuple[int, int] | None = None,
        suggestions: Sequence[Suggestion] = (),
    ) -> None:
        self.template = message
        self.status = status
        self.fields = {}
        self.code = code
        self.params = dict(params or {})
        self.dataset = dataset
        self.where = where
        self.suggestions = tuple(suggestions)
        Exception.__init__(self, self.message)  # the message is made from the code when shown

    @classmethod
    def of(
        cls,
        code: str,
        status: int = 400,
        *,
        dataset: str | None = None,
        where: tuple[int, int] | None = None,
        suggestions: Sequence[Suggestion] = (),
        **params: Any,
    ) -> QueryError:
        """The error for a message code of ``MESSAGES``."""
        return cls(
            MESSAGES[code],
            status,
            code=code,
            params=params,
            dataset=dataset,
            where=where,
            suggestions=suggestions,
        )

    @property
    def text(self) -> str:
        """The message in the active language."""
        params = dict(self.params)
        if self.where is not None:
            params["line"], params["col"] = self.where
        text = gettext(self.template) % params if params else gettext(self.template)
        if self.where is not None and "%(line)s" not in self.template:
            line, col = self.where
            text = gettext(WHERE) % {"line": line, "col": col, "message": text}
        if self.suggestions:
            labels = [s.label() for s in self.suggestions]
            names = labels[0]
            for label in labels[1:]:
                names = gettext(EITHER) % {"first": names, "second": label}
            space = "" if text.endswith(("。", "？", "）")) else " "  # none after Chinese stops
            text = f"{text}{space}{gettext(DID_YOU_MEAN) % {'names': names}}"
        return text

    @property
    def message(self) -> str:
        """The message in English."""
        with translation.override("en"):
            return self.text

    @property
    def api_code(self) -> str:
        """``code`` names the message; the API's code is the status's."""
        return STATUS_CODES.get(self.status, "error")

    def __str__(self) -> str:
        return self.message
