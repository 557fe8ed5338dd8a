"""Label lines in every language and variant → fields; unknown labels are reported."""
from __future__ import annotations

import pytest

from indexer.enrich.facets import EnrichReport, enrich
from indexer.model import Document
from indexer.parse import labels
from indexer.text import taxonomy

NBSP = "\u00a0"


@pytest.mark.parametrize(("line", "country", "theme", "keywords", "rest"), [
    ("País: Ecuador Área temática: Inclusión social Palabras clave: Sensibilización, integración",
     ["Ecuador"], ["Inclusión social"], ["Sensibilización", "integración"], ""),
    ("Pays : Equateur Thématique : Inclusion Sociale Mots-Clés : Sensibilisation, Intégration",
     ["Equateur"], ["Inclusion Sociale"], ["Sensibilisation", "Intégration"], ""),
    (f"Pays{NBSP}: Équateur Domaine thématique{NBSP}: Partenariats Mots clés : partenariat, droits",
     ["Équateur"], ["Partenariats"], ["partenariat", "droits"], ""),
    ("PAYS: EQUATEUR THEMATIQUE: INCLUSION SOCIALE MOTS CLES: a, b",
     ["EQUATEUR"], ["INCLUSION SOCIALE"], ["a", "b"], ""),
    ("pays:equateur domaine thematique:inclusion sociale mots-cles:a",
     ["equateur"], ["inclusion sociale"], ["a"], ""),
    ("Country: Ecuador Thematic area:  Social Inclusion Key words: integration, empowerment",
     ["Ecuador"], ["Social Inclusion"], ["integration", "empowerment"], ""),
    ("Country : Ecuador   Thematic area :Social Inclusion  Keywords: integration",
     ["Ecuador"], ["Social Inclusion"], ["integration"], ""),
    ("Pais: Ecuador Area tematica: Inclusion social Palabras clave: a, b Este estudio de caso se centra",
     ["Ecuador"], ["Inclusion social"], ["a", "b"], "Este estudio de caso se centra"),
    ("Country: Ecuador Thematic area: X Key words: Social Inclusion, economic inclusion "
     "This case study outlines key lessons",
     ["Ecuador"], ["X"], ["Social Inclusion", "economic inclusion"], "This case study outlines key lessons"),
    ("Pays : Equateur Thématique : Y Mots-Clés : Vivre-Ensemble, Autonomisation Cette étude de cas se concentre",
     ["Equateur"], ["Y"], ["Vivre-Ensemble", "Autonomisation"], "Cette étude de cas se concentre"),
    ("País: Área temática: Palabras clave:", [], [], [], ""),
])
def test_label_line_variants(line, country, theme, keywords, rest):
    parsed = labels.parse(line)
    assert parsed is not None
    assert (parsed.country, parsed.theme, parsed.keywords, parsed.rest) == (country, theme, keywords, rest)


@pytest.mark.parametrize("text", [
    "This case study focuses on the experience of Pichincha.",
    "Theme: one label alone is not a label line",
    "The country: Ecuador, and the keywords: none",
])
def test_body_text_is_not_a_label_line(text):
    assert labels.parse(text) is None


@pytest.mark.parametrize(("label", "theme_id"), [
    ("Inclusión social", "social-inclusion"),
    ("Inclusion Sociale", "social-inclusion"),
    ("Social Inclusion", "social-inclusion"),
    ("INCLUSION SOCIAL", "social-inclusion"),
    ("Integración de la migración en la planificación del desarrollo local",
     "mainstreaming-migration-into-local-development-planning"),
    ("Integration de la migration dans la planification du developpement local",
     "mainstreaming-migration-into-local-development-planning"),
    ("Mainstreaming Migration into Local Development Planning",
     "mainstreaming-migration-into-local-development-planning"),
    ("Asociaciones para la gestión efectiva de la migración para el desarrollo local",
     "partnerships-for-effective-migration-management-for-local-development"),
    ("Partenariats pour une gestion efficace des migrations pour le développement local",
     "partnerships-for-effective-migration-management-for-local-development"),
])
def test_taxonomy_maps_every_variant(label, theme_id):
    assert taxonomy.theme_id(label) == (theme_id, True)


@pytest.mark.parametrize(("name", "code"), [
    ("Ecuador", "ec"), ("Equateur", "ec"), ("Équateur", "ec"), ("ÉQUATEUR", "ec"),
    ("Colombia", "co"), ("Colombie", "co"), ("Perú", "pe"), ("Pérou", "pe"), ("Spain", "es"),
    ("España", "es"), ("Espagne", "es"), ("Nowhereland", None),
])
def test_country_names_in_any_language(name, code):
    assert taxonomy.country_code(name) == code


def test_unknown_labels_become_slugs_and_are_reported():
    doc = Document(id="x", url="x", title="t", text="Este estudio de caso trata de remesas.", lang="es",
                   type="case-study", theme_labels=["Remesas y Diáspora"], country_labels=["Atlantis"])
    report = EnrichReport()
    enrich([doc], report)
    assert doc.themes == ["remesas-y-diaspora"]
    assert doc.country == []
    assert report.unknown_themes == {"Remesas y Diáspora": 1}
    assert report.unknown_countries == {"Atlantis": 1}


def test_display_labels_follow_the_ui_language():
    assert taxonomy.theme_label("social-inclusion", "es") == "Inclusión social"
    assert taxonomy.theme_label("social-inclusion", "fr") == "Inclusion sociale"
    assert taxonomy.country_label("ec", "fr") == "Équateur"
    assert taxonomy.language_label("es", "en") == "Spanish"
    assert taxonomy.language_label("fr", "es") == "Francés"
    assert taxonomy.type_label("case-study", "fr") == "Étude de cas"
