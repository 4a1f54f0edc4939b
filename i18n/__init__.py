"""Every sentence people read: Fluent catalogs in i18n/locales/<lang>/*.ftl, one translator, one language resolver.

Imports none of our packages, so bot/, ops/, agents/ and vision/ all word things the same way.
"""
from i18n.languages import Languages, languages, resolve
from i18n.translator import CatalogError, Grouped, Translator, t, translator

__all__ = ["CatalogError", "Grouped", "Languages", "Translator", "languages", "resolve", "t", "translator"]
