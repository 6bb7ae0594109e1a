"""``flask outreach i18n …``: extract, update, compile and check the message catalogs."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from . import catalogs

i18n_cli = AppGroup("i18n", help="Message catalogs in translations/: extract → update → compile, and check.")

translations_option = click.option(
    "--translations",
    "translations",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Catalog folder (default: the app's BABEL_TRANSLATION_DIRECTORIES).",
)


def _folder(translations: Path | None) -> Path:
    if translations is not None:
        return translations
    configured = current_app.config.get("BABEL_TRANSLATION_DIRECTORIES") or str(catalogs.PROJECT_ROOT / "translations")
    return Path(configured.split(";")[0])


def _locales() -> tuple[str, ...]:
    return tuple(current_app.config["LOCALES"])


@i18n_cli.command("extract")
@translations_option
def extract_command(translations: Path | None) -> None:
    """Collect translatable text from the code and templates into messages.pot."""
    folder = _folder(translations)
    catalog, changed = catalogs.write_template(folder)
    count = sum(1 for message in catalog if message.id)
    state = "written" if changed else "unchanged"
    click.echo(f"{catalogs.template_path(folder)}: {count} messages ({state}).")


@i18n_cli.command("update")
@translations_option
def update_command(translations: Path | None) -> None:
    """Merge messages.pot into every locale's catalog (creating missing catalogs)."""
    folder = _folder(translations)
    if not catalogs.template_path(folder).is_file():
        click.echo(f"No {catalogs.template_path(folder)}: run `flask outreach i18n extract` first.", err=True)
        sys.exit(1)
    for locale, outcome in catalogs.update(folder, _locales()).items():
        click.echo(f"{locale}: {outcome}")


@i18n_cli.command("compile")
@translations_option
def compile_command(translations: Path | None) -> None:
    """Write the .mo file Flask-Babel reads for every locale (untranslated and fuzzy strings left out)."""
    folder = _folder(translations)
    missing = [loc for loc in _locales() if not catalogs.catalog_path(folder, loc).is_file()]
    if missing:
        click.echo(f"No catalog for {', '.join(missing)}: run `flask outreach i18n update`.", err=True)
        sys.exit(1)
    for locale, count in catalogs.compile_catalogs(folder, _locales()).items():
        click.echo(f"{locale}: compiled {count} messages")


@i18n_cli.command("check")
@translations_option
def check_command(translations: Path | None) -> None:
    """Fail when messages.pot is stale or a catalog is incomplete, fuzzy or breaks a placeholder or tag."""
    report = catalogs.check(_folder(translations), _locales())
    for problem in report.template_problems:
        click.echo(problem)
    for detail in report.template_details:
        click.echo(f"  {detail}")
    for locale_report in report.locales:
        click.echo(locale_report.summary)
        for problem in locale_report.problems:
            click.echo(f"  {locale_report.locale}: {problem}")
    if not report.ok:
        click.echo(f"i18n check failed: {report.problem_count} problem(s).", err=True)
        sys.exit(1)
