"""fit_translation_table: IBM Model 1 learns domain words from bilingual records."""

from __future__ import annotations

import pytest

from diaspora_search import Language, analyze
from diaspora_search.translation.learn import fit_translation_table
from diaspora_search.translation.table import TranslationTable

HOMETOWN = [
    (
        "Hometown associations send remittances to the villages.",
        "Las asociaciones de oriundos envían remesas a los pueblos.",
    ),
    (
        "Hometown associations in Chicago fund schools.",
        "Las asociaciones de oriundos en Chicago financian escuelas.",
    ),
    (
        "Members of hometown associations vote.",
        "Los miembros de las asociaciones de oriundos votan.",
    ),
    (
        "The hometown associations grew after 1990.",
        "Las asociaciones de oriundos crecieron después de 1990.",
    ),
]
OTHER = [
    (
        "Professional associations meet every year.",
        "Las asociaciones profesionales se reúnen cada año.",
    ),
    ("Remittances to Mexico grew in 2005.", "Las remesas a México crecieron en 2005."),
    ("Schools in the villages need teachers.", "Las escuelas de los pueblos necesitan maestros."),
    ("Migrants send money home.", "Los migrantes envían dinero a casa."),
    ("The association of teachers votes.", "La asociación de maestros vota."),
]


def pairs() -> list[tuple[list[str], list[str]]]:
    records = HOMETOWN * 5 + OTHER * 3  # 20 records pair "oriundos" with "hometown"
    return [(analyze(en, "en"), analyze(es, "es")) for en, es in records]


@pytest.fixture(scope="module")
def table() -> TranslationTable:
    return fit_translation_table(pairs())


def test_oriundos_translates_to_hometown(table: TranslationTable) -> None:
    oriundos = analyze("oriundos", "es")[0]
    assert table.translations(Language.ES, oriundos)[0][0] == analyze("hometown", "en")[0]
    hometown = analyze("hometown", "en")[0]
    assert table.translations(Language.EN, hometown)[0][0] == oriundos


def test_learned_distributions_are_bounded(table: TranslationTable) -> None:
    assert len(table) > 0
    for _, targets in table.items():
        assert sum(p for _, p in targets) <= 1 + 1e-9
        assert [p for _, p in targets] == sorted((p for _, p in targets), reverse=True)


def test_round_trips_through_json(table: TranslationTable) -> None:
    assert TranslationTable.from_json(table.to_json()) == table


def test_rare_terms_are_left_out() -> None:
    learned = fit_translation_table(pairs(), min_count=21)
    assert learned.translations(Language.ES, analyze("oriundos", "es")[0]) == ()


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError):
        fit_translation_table([], min_count=0)
    assert len(fit_translation_table([])) == 0
