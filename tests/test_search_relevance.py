"""Search relevance: labelled queries (English and Spanish) and the listing that must be in the top 3.

Each expectation names a service by its ``name`` in ``content/organizations/**`` in the language of
the page searched (results are shown in the resident's language). Expectations were chosen from
the content itself: the listing a resident typing that query is plainly looking for. A failure
here is a search-quality bug to fix in ``outreach/search`` or ``content/synonyms``, not a reason
to weaken the expectation.
"""
from __future__ import annotations

import html
import re
import shutil

import pytest

from tests.conftest import _config, _dispose

TOP = 3

# (page language, query as a resident types it, service name that must be in the top 3)
LABELLED_QUERIES = [
    ('en', 'narcan', 'Free naloxone and overdose response training'),
    ('en', 'naloxone', 'Free naloxone and overdose response training'),
    ('en', 'aa meetings near 97201', 'Twelve-step meetings at Northbank'),
    ('en', 'alcoholics anonymous', 'Find an A.A. meeting'),
    ('en', 'aa', 'Find an A.A. meeting'),
    ('en', 'na meetings', 'Find an NA meeting'),
    ('en', 'free detox', 'Walk-in crisis stabilization center'),
    ('en', 'detox', 'Medically supported withdrawal management'),
    ('en', 'needle exchange', 'Syringe services program'),
    ('en', 'syringe exchange', 'Syringe services and safer-use supplies'),
    ('en', 'suboxone', 'Same-day buprenorphine clinic'),
    ('en', 'methadone', 'Methadone treatment'),
    ('en', 'mat', 'Same-day buprenorphine clinic'),
    ('en', 'drug court', 'Adult drug court'),
    ('en', 'sober living', 'Recovery housing for men'),
    ('en', '988', 'Call, text or chat with 988'),
    ('en', 'suicide hotline', 'Call, text or chat with 988'),
    ('en', 'test strips', 'Fentanyl and xylazine test strips'),
    ('en', 'fentanyl test strips', 'Fentanyl and xylazine test strips'),
    ('en', 'rehab', 'Residential treatment'),
    ('en', 'al-anon', 'Al-Anon meetings'),
    ('en', 'alanon', 'Al-Anon meetings'),
    ('en', 'nar-anon', 'Nar-Anon meetings'),
    ('en', 'smart recovery', 'SMART Recovery meetings'),
    ('en', 'never use alone', 'Never Use Alone hotline'),
    ('en', 'mobile crisis', 'Mobile crisis team'),
    ('en', 'crisis text line', 'Text HOME to 741741'),
    ('en', 'naloxone by mail', 'Naloxone by mail'),
    ('en', 'vaping', 'Help quitting vaping for students'),
    ('en', 'teen recovery', 'Teen and young adult recovery group'),
    ('en', 'lgbtq', 'LGBTQ+ recovery group'),
    ('en', 'reentry', 'Reentry case management'),
    ('en', 'expunge record', 'Record clearing (set-aside) help'),
    ('en', 'job training', 'Paid training in the building trades'),
    ('en', 'peer support', 'Online peer support meetings'),
    ('en', 'recovery coach', 'Peer recovery coaching'),
    ('en', 'grief', 'Grief support after an overdose death'),
    ('en', 'family support group', 'Support groups for parents and families'),
    ('en', 'counseling russian', 'Counseling in Russian and Ukrainian'),
    ('en', 'vietnamese', 'Naloxone training in Vietnamese'),
    ('en', 'imam', 'Private family counseling with an imam and a counselor'),
    ('en', 'church naloxone', 'Free naloxone cabinet in the church lobby'),
    ('en', 'veterans', 'Veterans treatment court'),
    ('en', 'pre-arrest diversion', 'Pathways pre-arrest diversion (LEAD-style)'),
    ('en', 'lead', 'Pathways pre-arrest diversion (LEAD-style)'),
    ('en', 'cit', 'Crisis Intervention Team (CIT) officers'),
    ('en', 'samhsa helpline', "SAMHSA's National Helpline"),
    ('en', 'find treatment', 'FindTreatment.gov treatment locator'),
    ('en', 'halfway house', 'Recovery housing for men'),
    ('en', 'women recovery housing', 'Recovery housing for women and mothers'),
    ('en', 'cbt', 'CBT skills group for substance use'),
    ('en', 'telehealth', 'Telehealth treatment and medications'),
    ('en', 'warmline', 'Lamplight peer warmline'),
    ('en', 'native', 'Native recovery talking circle'),
    ('en', 'student assistance', 'Student Assistance Program'),
    ('en', 'nalox', 'Free naloxone and overdose response training'),
    ('es', 'narcan', 'Naloxona gratis y capacitación para responder a una sobredosis'),
    ('es', 'naloxona', 'Naloxona gratis y capacitación para responder a una sobredosis'),
    ('es', 'adiccion jovenes', 'Grupo de recuperación para adolescentes y adultos jóvenes'),
    ('es', 'jeringas', 'Programa de intercambio de jeringas'),
    ('es', 'intercambio de jeringas', 'Programa de intercambio de jeringas'),
    ('es', 'grupo de apoyo para familias', 'Grupos de apoyo para madres, padres y familias'),
    ('es', 'desintoxicacion', 'Manejo de la abstinencia con apoyo médico'),
    ('es', 'metadona', 'Tratamiento con metadona'),
    ('es', 'buprenorfina', 'Clínica de buprenorfina el mismo día'),
    ('es', 'tiras reactivas', 'Tiras reactivas de fentanilo y xilacina'),
    ('es', 'alcoholicos anonimos', 'Encuentre una reunión de A.A.'),
    ('es', 'corte de drogas', 'Tribunal de drogas para adultos'),
    ('es', 'vivienda sobria', 'Vivienda de recuperación para hombres'),
    ('es', 'linea de crisis', 'Línea de crisis del condado'),
    ('es', 'suicidio', 'Llame, envíe un mensaje de texto o chatee con el 988'),
    ('es', 'grupo de recuperacion en español', 'Grupo de apoyo para la recuperación en español'),
    ('es', 'iglesia', 'Grupo de recuperación basado en la fe, en español'),
    ('es', 'empleo', 'Orientación laboral y colocación en empleos'),
    ('es', 'vapeo', 'Ayuda para dejar de vapear para estudiantes'),
    ('es', 'promotoras', 'Promotoras de salud, naloxona y educación sobre sobredosis'),
    ('es', 'familias fuertes', 'Programa Familias Fuertes'),
    ('es', 'naloxona por correo', 'Naloxona por correo'),
    ('es', 'consejeria', 'Consejería individual'),
    ('es', 'rehabilitacion', 'Tratamiento residencial'),
    ('es', 'equipo movil de crisis', 'Equipo móvil de crisis'),
    ('es', 'duelo', 'Apoyo en el duelo después de una muerte por sobredosis'),
    ('es', 'sin cita', 'Centro de estabilización de crisis sin cita'),
    ('es', 'antecedentes penales', 'Ayuda para anular antecedentes penales (set-aside)'),
    ('es', 'identificacion', 'Ayuda para obtener identificación y documentos'),
    ('es', 'mujeres', 'Vivienda de recuperación para mujeres y madres'),
    ('es', 'vietnamita', 'Capacitación sobre naloxona en vietnamita'),
    ('es', 'prevencion escuelas', 'Clubes de prevención en escuelas intermedias y secundarias'),
    ('en', 'counseling in russian', 'Counseling in Russian and Ukrainian'),
    ('en', 'support group in spanish', 'Spanish-language recovery support group'),
    ('es', 'tratamiento en linea', 'Tratamiento y medicamentos por telesalud'),
    ('en', 'addiction teens', 'Teen and young adult recovery group'),
]


@pytest.fixture(scope="module")
def demo_search_client(demo_template, tmp_path_factory):
    """The demo_client content (seed loaded and indexed, ZIP centroids loaded), shared by this module:
    searches only read listings, and one warm app keeps ~90 queries fast."""
    from outreach import create_app

    folder = tmp_path_factory.mktemp("relevance")
    shutil.copytree(demo_template, folder, dirs_exist_ok=True)
    application = create_app(_config(folder))
    yield application.test_client()
    _dispose(application)


def ranked_titles(body: str) -> list[str]:
    """Service names of the main results in rank order (not the "By phone, online" section)."""
    main = body.split('class="remote-services"')[0]
    return [html.unescape(re.sub(r"<[^>]+>", "", title))
            for title in re.findall(r'class="card__title"><a [^>]*>(.*?)</a>', main, re.S)]


def test_the_table_is_big_enough_in_both_languages():
    languages = [lang for lang, _q, _name in LABELLED_QUERIES]
    assert len(LABELLED_QUERIES) >= 40
    assert languages.count("en") >= 20 and languages.count("es") >= 20
    assert len({(lang, q) for lang, q, _name in LABELLED_QUERIES}) == len(LABELLED_QUERIES)


def test_every_expected_name_is_a_real_listing():
    """Guards the table itself: a typo in an expectation must not pass silently as a search bug."""
    import yaml
    from pathlib import Path

    names = set()
    for path in (Path(__file__).resolve().parent.parent / "content" / "organizations").rglob("*.yaml"):
        for service in yaml.safe_load(path.read_text(encoding="utf-8")).get("services") or []:
            name = service["name"]
            names.update(name.values() if isinstance(name, dict) else [name])
    missing = [name for _lang, _q, name in LABELLED_QUERIES if name not in names]
    assert not missing


@pytest.mark.parametrize(("lang", "query", "expected"), LABELLED_QUERIES,
                         ids=[f"{lang}:{query}" for lang, query, _ in LABELLED_QUERIES])
def test_labelled_query_finds_its_listing_in_the_top_3(demo_search_client, lang, query, expected):
    response = demo_search_client.get(f"/{lang}/search", query_string={"q": query})
    assert response.status_code == 200
    titles = ranked_titles(response.get_data(as_text=True))
    assert expected in titles[:TOP], f"{query!r}: {expected!r} not in top {TOP}: {titles[:6]}"
