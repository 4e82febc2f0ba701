"""The message catalogues: zh_Hans complete and consistent, and up to date with the sources.

zh-hans is the default language and English the source language, so every msgid needs a Chinese
msgstr, and a string marked for translation but missing from the catalogue shows in English.
Extraction here uses Django's own ``templatize`` and Babel's Python extractor, so the test does not
need GNU gettext (which ``make messages`` does need).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract
from babel.messages.pofile import read_po
from django.test import Client
from django.utils import translation
from django.utils.translation import templatize

from shequ.core.services import people

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "src" / "shequ"
LOCALE_DIR = PACKAGE_DIR / "locale"
ZH_PO = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po"
EN_PO = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"

# Apps whose strings are translated later, by the app's own work: the catalogue need not have
# their newest strings yet (whatever of theirs it has must still be translated).
NOT_CHECKED_FOR_NEW_STRINGS: tuple[str, ...] = ()

# The keywords that Django's makemessages passes to xgettext, in Babel's notation.
KEYWORDS: dict[str, Any] = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}

# %(name)s, {name}; bare %s / %d count in python-format strings only.
NAMED = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]|\{\w*\}")
BARE = re.compile(r"%[-#0 +]*\d*(?:\.\d+)?[sdifr]")

Key = tuple[str | None, str]


def load(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=path.parent.parent.name, abort_invalid=True)


def key(message: Message) -> Key:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return message.context, msgid


def entries(catalog: Catalog) -> list[Message]:
    return [m for m in catalog if m.id]


def strings(value: str | tuple[str, ...] | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def placeholders(text: str, python_format: bool) -> set[str]:
    text = text.replace("%%", "")
    found = set(NAMED.findall(text))
    if python_format:
        found |= {m for m in BARE.findall(text) if not m.startswith("%(")}
    return found


def extracted(skip: tuple[str, ...] = NOT_CHECKED_FOR_NEW_STRINGS) -> dict[Key, list[str]]:
    """Every string marked for translation under src/shequ, with where it was found."""
    found: dict[Key, list[str]] = {}
    for path in sorted(PACKAGE_DIR.rglob("*")):
        rel = path.relative_to(PACKAGE_DIR)
        if rel.parts[0] in (*skip, "locale") or path.suffix not in (".py", ".html", ".txt"):
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix != ".py":
            # Templatized lines are filler around gettext() calls; their indentation would
            # only trip the Python tokenizer.
            text = "\n".join(
                line.lstrip() for line in templatize(text, origin=str(path)).splitlines()
            )
        for lineno, message, _comments, context in extract(
            "python", io.BytesIO(text.encode("utf-8")), keywords=KEYWORDS
        ):
            msgid = message if isinstance(message, str) else message[0]
            if msgid:
                found.setdefault((context, msgid), []).append(f"{rel}:{lineno}")
    return found


@pytest.fixture(scope="module")
def zh() -> Catalog:
    return load(ZH_PO)


@pytest.fixture(scope="module")
def en() -> Catalog:
    return load(EN_PO)


def header(path: Path) -> dict[str, str]:
    """The header entry as written in the file (Babel rewrites some fields when it reads)."""
    first = path.read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert "#, fuzzy" not in first, f"{path.name}: the header is marked fuzzy"
    text = "".join(re.findall(r'^(?:msgstr )?"(.*)"$', first, re.MULTILINE))
    fields = [line.split(": ", 1) for line in text.split("\\n") if ": " in line]
    return {name: value for name, value in fields}


def test_the_zh_hans_header_is_complete(zh: Catalog) -> None:
    assert not zh.fuzzy
    fields = header(ZH_PO)
    assert fields["Language"] == "zh_Hans"
    assert fields["Plural-Forms"] == "nplurals=1; plural=0;"
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert zh.num_plurals == 1


def test_the_en_header_is_valid(en: Catalog) -> None:
    assert not en.fuzzy
    fields = header(EN_PO)
    assert fields["Language"] == "en"
    assert fields["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert en.num_plurals == 2
    assert not [m.id for m in entries(en) if m.fuzzy]


def test_both_catalogues_have_the_same_msgids(zh: Catalog, en: Catalog) -> None:
    assert {key(m) for m in entries(zh)} == {key(m) for m in entries(en)}


def test_every_zh_hans_entry_is_translated_and_not_fuzzy(zh: Catalog) -> None:
    assert len(entries(zh)) > 100
    fuzzy = [m.id for m in entries(zh) if m.fuzzy]
    assert not fuzzy, f"fuzzy entries are not compiled: {fuzzy}"
    untranslated = []
    for m in entries(zh):
        forms = strings(m.string)
        wanted = zh.num_plurals if m.pluralizable else 1
        if len(forms) != wanted or not all(form.strip() for form in forms):
            untranslated.append(m.id)
    assert not untranslated, f"no Chinese for: {untranslated}"


def test_zh_hans_placeholders_match_the_msgid(zh: Catalog) -> None:
    wrong = []
    for m in entries(zh):
        python_format = "python-format" in m.flags
        expected = set().union(*(placeholders(s, python_format) for s in strings(m.id)))
        for form in strings(m.string):
            got = placeholders(form, python_format)
            if got != expected:
                wrong.append((m.id, sorted(expected), form))
    assert not wrong, wrong


def test_zh_hans_translations_are_chinese(zh: Catalog) -> None:
    # A msgstr copied from the msgid would pass the other checks; every one here has Chinese.
    han = re.compile(r"[\u4e00-\u9fff]")
    latin_only = [m.id for m in entries(zh) if not any(han.search(s) for s in strings(m.string))]
    assert not latin_only, latin_only


def test_the_extractor_finds_the_known_strings() -> None:
    found = extracted()
    for msgid in ("Log in", "Residents", "Hello, %(name)s", "Page %(n)s of %(total)s", "Core"):
        assert (None, msgid) in found, msgid


def test_every_marked_string_is_in_the_catalogue(zh: Catalog) -> None:
    have = {key(m) for m in entries(zh)}
    missing = {k: where for k, where in extracted().items() if k not in have}
    assert not missing, f"run `make messages` and translate: {missing}"


def test_the_catalogue_has_no_stale_entries(zh: Catalog) -> None:
    # An entry found only outside the unchecked apps must still be in the sources there.
    sources = extracted()
    unchecked = tuple(f"{app}/" for app in NOT_CHECKED_FOR_NEW_STRINGS)
    stale = [
        key(m)
        for m in entries(zh)
        if key(m) not in sources and not any(f.startswith(unchecked) for f, _ in m.locations)
    ]
    assert not stale, f"run `make messages`: {stale}"


# --- rendered pages ---------------------------------------------------------------------------

ENGLISH_UI = [
    "Community platform",
    "Log in",
    "Log out",
    "User name",
    "Residents",
    "Messages",
    "Audit log",
    "API tokens",
    "Hello,",
    "Search",
    "Nothing found",
    "No messages",
    "Register a resident",
    "Public data",
]


def visible_text(html: str) -> str:
    return re.sub(r"<[^>]*>", " ", html)


@pytest.mark.django_db
def test_pages_under_zh_hans_show_no_english_ui(staff: Any, regions: dict[str, Any]) -> None:
    person = people.create_person(staff, regions["990102001001"], name="李四", phone="13600001111")
    pages = ["/", "/people/", f"/people/{person.pk}/reveal/", "/inbox/", "/audit/", "/tokens/"]
    with translation.override("zh-hans"):
        anonymous = Client()
        client = Client()
        client.force_login(staff)
        responses = {"/login/": anonymous.get("/login/")}
        responses |= {url: client.get(url) for url in pages}
        english = Client(HTTP_ACCEPT_LANGUAGE="en")
        login_en = english.get("/login/")
    for url, response in responses.items():
        assert response.status_code == 200, url
        html = response.content.decode()
        assert '<html lang="zh-CN">' in html, url
        assert "社区数智平台" in html, url
        text = visible_text(html)
        shown = [word for word in ENGLISH_UI if word in text]
        assert not shown, f"{url} shows English: {shown} (is the .mo compiled? `make setup`)"
    # The same check finds the English words on an English page.
    assert "Log in" in visible_text(login_en.content.decode())
