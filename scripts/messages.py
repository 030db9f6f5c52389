"""Extracts every translatable message and brings the translation catalogs up to date.

    python scripts/messages.py            # update app/translations/<lang>/LC_MESSAGES/messages.po
    python scripts/messages.py --check    # change nothing; exit 1 if a catalog is stale or incomplete

Messages come from the templates and from app/**.py as babel.cfg maps them. The template (POT) is built in
memory only; the repository holds the .po catalogs and nothing compiled (app.web.templating compiles them at
start). Existing translations are kept, new messages are added with an empty msgstr, messages that are gone
are kept at the end of the file as obsolete (#~) entries, and a message whose text changed slightly gets
the old translation marked fuzzy for a translator to review. tests/test_translations.py uses the same
extraction, and fails while anything is untranslated or fuzzy.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MAPPING_FILE = PROJECT_ROOT / "babel.cfg"
TRANSLATIONS_DIR = PROJECT_ROOT / "app" / "translations"
DOMAIN = "messages"
LANGUAGES = ("ja",)  # every language besides English; English is the msgid itself
COMMENT_TAGS = ("Translators:",)
PROJECT = "Quad Dialogue"
PO_WIDTH = 100


def catalog_path(language: str) -> Path:
    return TRANSLATIONS_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def _project_version() -> str:
    try:
        import tomllib

        with (PROJECT_ROOT / "pyproject.toml").open("rb") as file:
            return str(tomllib.load(file)["project"]["version"])
    except (OSError, KeyError, ValueError):
        return ""


def extract_messages() -> Catalog:
    """The message template (what a .pot file would hold), extracted as babel.cfg says."""
    with MAPPING_FILE.open(encoding="utf-8") as mapping_file:
        method_map, options_map = parse_mapping_cfg(mapping_file, filename=str(MAPPING_FILE))

    # Walk only the folders that babel.cfg names (app/, templates/), never .venv, var/ or node_modules/.
    # Unlike babel's default filter, folders starting with "_" are walked: templates/_macros/ has messages.
    roots = {pattern.split("/", 1)[0] for pattern, _ in method_map}

    def directory_filter(dirpath: str) -> bool:
        relative = Path(dirpath).relative_to(PROJECT_ROOT)
        if relative.parts and relative.parts[0] not in roots:
            return False
        return not any(part.startswith(".") or part == "__pycache__" for part in relative.parts)

    template = Catalog(
        project=PROJECT,
        version=_project_version(),
        copyright_holder="The Quad Dialogue secretariat",
        charset="utf-8",
        fuzzy=False,
    )
    for filename, lineno, message, comments, context in extract_from_dir(
        PROJECT_ROOT,
        method_map,
        options_map,
        keywords={**DEFAULT_KEYWORDS, "N_": None},
        comment_tags=COMMENT_TAGS,
        strip_comment_tags=True,
        directory_filter=directory_filter,
    ):
        template.add(
            message,
            None,
            [(Path(filename).as_posix(), lineno)],
            auto_comments=comments,
            context=context,
        )
    return template


def read_catalog(language: str) -> Catalog | None:
    path = catalog_path(language)
    if not path.exists():
        return None
    with path.open("rb") as po_file:
        return read_po(po_file, locale=language, domain=DOMAIN)


def serialize(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=PO_WIDTH, include_lineno=False)
    return buffer.getvalue()


def _without_dates(po: bytes) -> bytes:
    return b"\n".join(
        line for line in po.splitlines() if not line.startswith((b'"POT-Creation-Date:', b'"PO-Revision-Date:'))
    )


def untranslated(catalog: Catalog) -> list[Message]:
    """Messages with an empty msgstr, or any plural form left empty."""
    missing = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        forms = list(strings)[: catalog.num_plurals] if message.pluralizable else list(strings)[:1]
        if not forms or not all(forms):
            missing.append(message)
    return missing


def fuzzy(catalog: Catalog) -> list[Message]:
    return [message for message in catalog if message.id and message.fuzzy]


def updated_catalog(language: str, template: Catalog, *, drop_obsolete: bool = False) -> Catalog:
    catalog = read_catalog(language)
    if catalog is None:
        catalog = Catalog(
            locale=Locale.parse(language),
            domain=DOMAIN,
            project=template.project,
            version=template.version,
            copyright_holder=template.copyright_holder,
            charset="utf-8",
            fuzzy=False,
        )
        catalog.language_team = f"{Locale.parse(language).english_name} <LL@li.org>"
    catalog.project = template.project
    catalog.version = template.version
    catalog.update(template, no_fuzzy_matching=False, update_creation_date=False)
    if drop_obsolete:
        catalog.obsolete.clear()
    return catalog


def _label(message: Message) -> str:
    text = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
    where = ", ".join(sorted({filename for filename, _ in message.locations}))
    return f"{text!r} ({where})" if where else repr(text)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("languages", nargs="*", default=list(LANGUAGES), help="languages to update (default: ja)")
    parser.add_argument("--check", action="store_true", help="write nothing; fail if a catalog is stale or incomplete")
    parser.add_argument("--drop-obsolete", action="store_true", help="remove obsolete (#~) entries")
    args = parser.parse_args(argv)

    template = extract_messages()
    total = sum(1 for message in template if message.id)
    print(f"{total} messages extracted from templates and app code")
    problems = 0
    for language in args.languages:
        path = catalog_path(language)
        relative = path.relative_to(PROJECT_ROOT)
        catalog = updated_catalog(language, template, drop_obsolete=args.drop_obsolete)
        new_po = serialize(catalog)
        old_po = path.read_bytes() if path.exists() else b""
        stale = _without_dates(new_po) != _without_dates(old_po)
        if stale and not args.check:
            catalog.creation_date = datetime.now(UTC)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(serialize(catalog))
        missing, unsure = untranslated(catalog), fuzzy(catalog)
        status = ("would change" if args.check else "updated") if stale else "unchanged"
        print(
            f"{language}: {len(missing)} untranslated, {len(unsure)} fuzzy, "
            f"{len(catalog.obsolete)} obsolete; {relative} {status}"
        )
        for message in missing:
            print(f"  untranslated: {_label(message)}")
        for message in unsure:
            print(f"  fuzzy (review, then remove the fuzzy flag): {_label(message)}")
        problems += len(missing) + len(unsure) + (1 if stale and args.check else 0)
    return 1 if args.check and problems else 0


if __name__ == "__main__":
    os.chdir(PROJECT_ROOT)
    sys.exit(main())
