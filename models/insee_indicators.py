"""Indicator catalog of the INSEE files (QPV bases, Filosofi, comparateur) and the column → indicator map.

Units: `percent` values are published on a 0-100 scale; `euro` are annual amounts per consumption unit.
Aggregation: `sum` (counts, summable), `ratio` (recomputed from numerator/denominator sums, only when
both are known), `not_aggregable` (medians, deciles, indices: never averaged, never summed).
"""

from __future__ import annotations

from typing import NamedTuple


class Ind(NamedTuple):
    indicator_id: str
    theme: str
    label_fr: str
    definition: str
    unit: str
    numerator_def: str | None
    denominator_def: str | None
    aggregation: str  # sum | ratio | not_aggregable

    @property
    def summable(self) -> bool:
        return self.aggregation == "sum"


def count(i: str, theme: str, label: str, definition: str) -> Ind:
    return Ind(i, theme, label, definition, "count", None, None, "sum")


def share(i: str, theme: str, label: str, num: str, den: str) -> Ind:
    return Ind(i, theme, label, f"{num} / {den} × 100", "percent", num, den, "ratio")


def _stat(i: str, theme: str, label: str, definition: str, unit: str = "euro") -> Ind:
    return Ind(i, theme, label, definition, unit, None, None, "not_aggregable")


INSEE_INDICATORS: tuple[Ind, ...] = (
    # population and households (RP, Fidéli)
    count("population", "population", "Population municipale", "Population municipale du recensement"),
    share("part_femmes", "population", "Part des femmes", "femmes", "population"),
    share(
        "part_moins_25_ans", "population", "Part des moins de 25 ans", "personnes de 0 à 24 ans", "population"
    ),
    share(
        "part_60_ans_et_plus",
        "population",
        "Part des 60 ans et plus",
        "personnes de 60 ans et plus",
        "population",
    ),
    Ind(
        "indice_jeunesse",
        "population",
        "Indice de jeunesse",
        "Population de moins de 20 ans rapportée à la population de 60 ans et plus",
        "index",
        "personnes de 0 à 19 ans",
        "personnes de 60 ans et plus",
        "ratio",
    ),
    share(
        "part_etrangers",
        "population",
        "Part des étrangers",
        "personnes de nationalité étrangère",
        "population",
    ),
    share(
        "part_menages_1_personne",
        "menages",
        "Part des ménages d'une personne",
        "ménages d'une personne",
        "ménages",
    ),
    share(
        "part_menages_6_personnes",
        "menages",
        "Part des ménages de 6 personnes ou plus",
        "ménages de 6+ personnes",
        "ménages",
    ),
    count(
        "menages", "menages", "Nombre de ménages", "Ménages (résidences principales occupées) au recensement"
    ),
    count("logements", "logement", "Nombre de logements", "Logements au recensement"),
    count(
        "residences_principales",
        "logement",
        "Résidences principales",
        "Résidences principales au recensement",
    ),
    count("logements_vacants", "logement", "Logements vacants", "Logements vacants au recensement"),
    count(
        "rp_proprietaires",
        "logement",
        "Résidences principales occupées par leur propriétaire",
        "RP occupées par propriétaires",
    ),
    # activity (RP)
    count(
        "population_15_64", "emploi", "Population de 15 à 64 ans", "Personnes de 15 à 64 ans au recensement"
    ),
    count(
        "actifs_15_64", "emploi", "Actifs de 15 à 64 ans", "Actifs (en emploi ou chômeurs) de 15 à 64 ans"
    ),
    count(
        "chomeurs_15_64",
        "emploi",
        "Chômeurs de 15 à 64 ans",
        "Chômeurs de 15 à 64 ans (au sens du recensement)",
    ),
    share(
        "taux_activite_15_64",
        "emploi",
        "Taux d'activité des 15-64 ans",
        "actifs de 15 à 64 ans",
        "population de 15 à 64 ans",
    ),
    share(
        "taux_chomage_15_64",
        "emploi",
        "Taux de chômage des 15-64 ans (recensement)",
        "chômeurs de 15 à 64 ans",
        "actifs de 15 à 64 ans",
    ),
    share(
        "taux_emploi_15_64",
        "emploi",
        "Taux d'emploi des 15-64 ans",
        "personnes de 15 à 64 ans en emploi",
        "personnes de 15 à 64 ans",
    ),
    share(
        "taux_emploi_femmes_15_64",
        "emploi",
        "Taux d'emploi des femmes de 15-64 ans",
        "femmes de 15-64 ans en emploi",
        "femmes de 15-64 ans",
    ),
    share(
        "taux_emploi_etrangers_15_64",
        "emploi",
        "Taux d'emploi des étrangers de 15-64 ans",
        "étrangers de 15-64 ans en emploi",
        "étrangers de 15-64 ans",
    ),
    share(
        "part_emplois_precaires",
        "emploi",
        "Part des emplois précaires",
        "salariés en emploi précaire",
        "personnes en emploi",
    ),
    share(
        "part_emplois_duree_limitee",
        "emploi",
        "Part des emplois à durée limitée",
        "emplois à durée limitée",
        "personnes en emploi",
    ),
    share(
        "part_sans_diplome",
        "education",
        "Part des non-scolarisés de 15 ans ou plus sans diplôme",
        "non-scolarisés 15+ sans diplôme",
        "non-scolarisés de 15 ans ou plus",
    ),
    share(
        "part_16_25_neet",
        "education",
        "Part des 16-25 ans ni en emploi ni en formation",
        "16-25 ans non scolarisés sans emploi",
        "16-25 ans",
    ),
    # Filosofi
    _stat(
        "filo_disp_mediane",
        "revenus",
        "Revenu disponible médian par UC",
        "Médiane du revenu disponible par unité de consommation (niveau de vie)",
    ),
    _stat(
        "filo_disp_d1", "revenus", "1er décile du revenu disponible par UC", "Premier décile du niveau de vie"
    ),
    _stat(
        "filo_disp_d9", "revenus", "9e décile du revenu disponible par UC", "Neuvième décile du niveau de vie"
    ),
    _stat(
        "filo_disp_q1",
        "revenus",
        "1er quartile du revenu disponible par UC",
        "Premier quartile du niveau de vie",
    ),
    _stat(
        "filo_disp_q3",
        "revenus",
        "3e quartile du revenu disponible par UC",
        "Troisième quartile du niveau de vie",
    ),
    _stat(
        "filo_disp_rapport_d9_d1",
        "revenus",
        "Rapport interdécile D9/D1 du revenu disponible",
        "D9 / D1 du niveau de vie",
        "ratio",
    ),
    _stat(
        "filo_disp_gini",
        "revenus",
        "Indice de Gini du revenu disponible",
        "Indice de Gini du niveau de vie",
        "index",
    ),
    _stat(
        "filo_dec_mediane",
        "revenus",
        "Revenu déclaré médian par UC",
        "Médiane du revenu déclaré par unité de consommation",
    ),
    _stat(
        "filo_dec_d1",
        "revenus",
        "1er décile du revenu déclaré par UC",
        "Premier décile du revenu déclaré par UC",
    ),
    _stat(
        "filo_dec_d9",
        "revenus",
        "9e décile du revenu déclaré par UC",
        "Neuvième décile du revenu déclaré par UC",
    ),
    share(
        "taux_pauvrete_60",
        "revenus",
        "Taux de pauvreté au seuil de 60 %",
        "personnes sous 60 % du niveau de vie médian métropolitain",
        "personnes des ménages fiscaux",
    ),
    share(
        "taux_bas_revenus_declares",
        "revenus",
        "Taux de bas revenus déclarés (seuil 60 %)",
        "personnes sous le seuil de bas revenus déclarés",
        "personnes des ménages fiscaux",
    ),
    share(
        "taux_bas_revenus",
        "revenus",
        "Taux de bas revenus",
        "personnes sous le seuil de bas revenus",
        "personnes des ménages fiscaux",
    ),
    share(
        "part_menages_imposes",
        "revenus",
        "Part des ménages fiscaux imposés",
        "ménages fiscaux imposés",
        "ménages fiscaux",
    ),
    share(
        "part_menages_chomage_principal",
        "revenus",
        "Part des ménages dont le revenu provient surtout d'allocations chômage",
        "ménages au revenu principalement d'allocations chômage",
        "ménages fiscaux",
    ),
    share(
        "part_prestations_sociales",
        "revenus",
        "Part des prestations sociales dans le revenu disponible",
        "prestations sociales",
        "revenu disponible",
    ),
    share(
        "part_revenus_activite",
        "revenus",
        "Part des revenus d'activité dans le revenu disponible",
        "revenus d'activité",
        "revenu disponible",
    ),
    share(
        "part_pensions",
        "revenus",
        "Part des pensions et retraites dans le revenu disponible",
        "pensions, retraites, rentes",
        "revenu disponible",
    ),
    share(
        "part_revenus_patrimoine",
        "revenus",
        "Part des revenus du patrimoine dans le revenu disponible",
        "revenus du patrimoine",
        "revenu disponible",
    ),
    share(
        "part_impots",
        "revenus",
        "Part des impôts dans le revenu disponible (négative)",
        "impôts",
        "revenu disponible",
    ),
    share(
        "part_minima_sociaux",
        "revenus",
        "Part des minima sociaux dans le revenu disponible",
        "minima sociaux",
        "revenu disponible",
    ),
    share(
        "part_prestations_logement",
        "revenus",
        "Part des prestations logement dans le revenu disponible",
        "prestations logement",
        "revenu disponible",
    ),
    share(
        "part_prestations_familiales",
        "revenus",
        "Part des prestations familiales dans le revenu disponible",
        "prestations familiales",
        "revenu disponible",
    ),
    count("menages_fiscaux", "revenus", "Ménages fiscaux", "Nombre de ménages fiscaux (Filosofi)"),
    count(
        "personnes_menages_fiscaux",
        "revenus",
        "Personnes des ménages fiscaux",
        "Nombre de personnes des ménages fiscaux",
    ),
    # Cnaf
    count(
        "caf_allocataires",
        "caf",
        "Allocataires Caf",
        "Foyers allocataires percevant au moins une prestation Caf",
    ),
    count(
        "caf_personnes_couvertes",
        "caf",
        "Personnes couvertes par la Caf",
        "Personnes couvertes par au moins une prestation Caf",
    ),
    count("caf_alloc_isoles", "caf", "Allocataires isolés sans enfant", "Allocataires isolés (AI)"),
    count(
        "caf_alloc_monoparents",
        "caf",
        "Allocataires familles monoparentales",
        "Allocataires monoparents (AM)",
    ),
    count(
        "caf_alloc_couples_sans_enfant",
        "caf",
        "Allocataires couples sans enfant",
        "Couples sans enfant (ACSSENF)",
    ),
    count(
        "caf_alloc_couples_avec_enfants",
        "caf",
        "Allocataires couples avec enfant(s)",
        "Couples avec enfant(s) (ACAVENF)",
    ),
    count("caf_alloc_etudiants", "caf", "Allocataires étudiants", "Allocataires étudiants (A_ETUD)"),
    count("caf_enfants_couverts", "caf", "Enfants couverts par la Caf", "Enfants couverts (ENF)"),
    count("caf_alloc_rsa", "caf", "Allocataires du RSA", "Allocataires percevant le RSA (ARSA)"),
    count(
        "caf_alloc_rsa_socle",
        "caf",
        "Allocataires du RSA socle",
        "Allocataires percevant le RSA socle (ARSAS)",
    ),
    count("caf_alloc_aah", "caf", "Allocataires de l'AAH", "Allocataires percevant l'AAH (AAAH)"),
    count(
        "caf_alloc_prime_activite",
        "caf",
        "Allocataires de la prime d'activité",
        "Allocataires percevant la prime d'activité (APPA)",
    ),
    count(
        "caf_alloc_dependants_50",
        "caf",
        "Allocataires dont les prestations font au moins 50 % des ressources",
        "APRES50",
    ),
    count(
        "caf_alloc_dependants_100",
        "caf",
        "Allocataires dont les prestations font 100 % des ressources",
        "APRES100",
    ),
    # Cnam
    count(
        "cnam_beneficiaires",
        "sante",
        "Bénéficiaires du régime général de l'assurance maladie",
        "Bénéficiaires Cnam (C)",
    ),
    count(
        "cnam_cmuc", "sante", "Bénéficiaires de la CMU-C", "Bénéficiaires de la CMU complémentaire (CCMUC)"
    ),
    count(
        "cnam_c2s",
        "sante",
        "Bénéficiaires de la Complémentaire santé solidaire",
        "Bénéficiaires de la C2S (CC2S)",
    ),
    count("cnam_c2s_non_participative", "sante", "Bénéficiaires de la C2S non participative", "C_C2SNP"),
    count("cnam_c2s_participative", "sante", "Bénéficiaires de la C2S participative", "C_C2SP"),
    # Pôle emploi / France Travail (as published in INSEE's insertion professionnelle base)
    count("de_abcde", "demandeurs_emploi", "Demandeurs d'emploi de catégories A à E", "DEFM ABCDE"),
    count("de_abc", "demandeurs_emploi", "Demandeurs d'emploi de catégories A, B, C", "DEFM ABC"),
    count("de_a", "demandeurs_emploi", "Demandeurs d'emploi de catégorie A", "DEFM A"),
    count("de_abc_femmes", "demandeurs_emploi", "Demandeuses d'emploi ABC", "DEFM ABC femmes"),
    count(
        "de_abc_moins_25",
        "demandeurs_emploi",
        "Demandeurs d'emploi ABC de moins de 25 ans",
        "DEFM ABC < 25 ans",
    ),
    count(
        "de_abc_50_plus", "demandeurs_emploi", "Demandeurs d'emploi ABC de 50 ans ou plus", "DEFM ABC 50+"
    ),
    count(
        "de_abc_etrangers",
        "demandeurs_emploi",
        "Demandeurs d'emploi ABC étrangers",
        "DEFM ABC de nationalité étrangère",
    ),
    count(
        "de_abc_rsa", "demandeurs_emploi", "Demandeurs d'emploi ABC bénéficiaires du RSA", "DEFM ABC au RSA"
    ),
    count("contrats_aides", "emploi", "Contrats aidés", "Entrées en contrats aidés (ASP, CA)"),
)
INDICATORS_BY_ID = {i.indicator_id: i for i in INSEE_INDICATORS}

_DISP = r"(?:DISP_)?"
# (families, regex on the canonical column name, indicator). First match wins inside a family.
VARIABLE_MAP: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("demo",), r"^POP_MUN$", "population"),
    (("demo",), r"^TX_F$", "part_femmes"),
    (("demo",), r"^TX_TOT_0A24$", "part_moins_25_ans"),
    (("demo",), r"^TX_TOT_60ETPLUS$", "part_60_ans_et_plus"),
    (("demo",), r"^IND_JEUNE$", "indice_jeunesse"),
    (("demo",), r"^TX_TOT_ET$", "part_etrangers"),
    (("demo",), r"^TX_TOT_MEN1$", "part_menages_1_personne"),
    (("demo",), r"^TX_TOT_MEN6$", "part_menages_6_personnes"),
    (("demo", "revn"), r"^A$", "caf_allocataires"),
    (("demo",), r"^PERCOU$", "caf_personnes_couvertes"),
    (("demo",), r"^AI$", "caf_alloc_isoles"),
    (("demo",), r"^AM$", "caf_alloc_monoparents"),
    (("demo",), r"^ACSSENF$", "caf_alloc_couples_sans_enfant"),
    (("demo",), r"^ACAVENF$", "caf_alloc_couples_avec_enfants"),
    (("demo",), r"^A_ETUD$", "caf_alloc_etudiants"),
    (("demo",), r"^ENF$", "caf_enfants_couverts"),
    (("revn",), r"^ARSA$", "caf_alloc_rsa"),
    (("revn",), r"^ARSAS$", "caf_alloc_rsa_socle"),
    (("revn",), r"^AAAH$", "caf_alloc_aah"),
    (("revn",), r"^APPA$", "caf_alloc_prime_activite"),
    (("revn",), r"^APRES50$", "caf_alloc_dependants_50"),
    (("revn",), r"^APRES100$", "caf_alloc_dependants_100"),
    (("revn",), r"^C$", "cnam_beneficiaires"),
    (("revn",), r"^CCMUC$", "cnam_cmuc"),
    (("revn",), r"^CC2S$", "cnam_c2s"),
    (("revn",), r"^C_C2SNP$", "cnam_c2s_non_participative"),
    (("revn",), r"^C_C2SP$", "cnam_c2s_participative"),
    (("revn",), r"^DISP_Q2$", "filo_disp_mediane"),
    (("revn",), r"^DISP_Q1$", "filo_disp_q1"),
    (("revn",), r"^DISP_Q3$", "filo_disp_q3"),
    (("revn",), r"^DISP_D1$", "filo_disp_d1"),
    (("revn",), r"^DISP_D9$", "filo_disp_d9"),
    (("revn",), r"^DISP_D1D9$", "filo_disp_rapport_d9_d1"),
    (("revn",), r"^DECUC_Q2$", "filo_dec_mediane"),
    (("revn",), r"^DECUC_D1$", "filo_dec_d1"),
    (("revn",), r"^DECUC_D9$", "filo_dec_d9"),
    (("revn",), r"^TP60$", "taux_pauvrete_60"),
    (("revn",), r"^BREV$", "taux_bas_revenus"),
    (("revn",), r"^PMIMP$", "part_menages_imposes"),
    (("revn",), r"^PART_CHOMPRINC$", "part_menages_chomage_principal"),
    (("revn",), r"^PPSOC$", "part_prestations_sociales"),
    (("revn",), r"^PACT$", "part_revenus_activite"),
    (("revn",), r"^PPEN$", "part_pensions"),
    (("revn",), r"^PPAT$", "part_revenus_patrimoine"),
    (("revn",), r"^PIMPOT$", "part_impots"),
    (("ipro",), r"^TX_TOT_EMPL$", "taux_emploi_15_64"),
    (("ipro",), r"^TX_F_EMPL$", "taux_emploi_femmes_15_64"),
    (("ipro",), r"^TX_ET_EMPL$", "taux_emploi_etrangers_15_64"),
    (("ipro",), r"^TX_TOT_EPREC$", "part_emplois_precaires"),
    (("ipro",), r"^TX_TOT_EDLIM$", "part_emplois_duree_limitee"),
    (("ipro",), r"^ABCDE$", "de_abcde"),
    (("ipro",), r"^ABC$", "de_abc"),
    (("ipro",), r"^A$", "de_a"),
    (("ipro",), r"^ABC_F$", "de_abc_femmes"),
    (("ipro",), r"^ABC_25$", "de_abc_moins_25"),
    (("ipro",), r"^ABC_50$", "de_abc_50_plus"),
    (("ipro",), r"^ABC_E$", "de_abc_etrangers"),
    (("ipro",), r"^ABC_RSA$", "de_abc_rsa"),
    (("ipro",), r"^CA$", "contrats_aides"),
    # Filosofi: QPV files (…_A19), IRIS files (DISP_MED19), territory files (Q219, MED21)
    (("qpv_filo", "filo_iris"), r"^DISP_MED(_A)?\d\d$", "filo_disp_mediane"),
    (("qpv_filo", "filo_iris"), r"^DISP_Q1(_A)?\d\d$", "filo_disp_q1"),
    (("qpv_filo", "filo_iris"), r"^DISP_Q3(_A)?\d\d$", "filo_disp_q3"),
    (("qpv_filo", "filo_iris"), r"^DISP_D1(_A)?\d\d$", "filo_disp_d1"),
    (("qpv_filo", "filo_iris"), r"^DISP_D9(_A)?\d\d$", "filo_disp_d9"),
    (("qpv_filo", "filo_iris"), r"^DISP_RD(_A)?\d\d$", "filo_disp_rapport_d9_d1"),
    (("qpv_filo", "filo_iris"), r"^DISP_(GINI|GI)(_A)?\d\d$", "filo_disp_gini"),
    (("qpv_filo", "filo_iris"), r"^DISP_TP60(_A)?\d\d$", "taux_pauvrete_60"),
    (("qpv_filo", "filo_iris"), r"^DISP_PPSOC(_A)?\d\d$", "part_prestations_sociales"),
    (("qpv_filo", "filo_iris"), r"^DISP_PACT(_A)?\d\d$", "part_revenus_activite"),
    (("qpv_filo", "filo_iris"), r"^DISP_PPEN(_A)?\d\d$", "part_pensions"),
    (("qpv_filo", "filo_iris"), r"^DISP_PPAT(_A)?\d\d$", "part_revenus_patrimoine"),
    (("qpv_filo", "filo_iris"), r"^DISP_PIMPOT(_A)?\d\d$", "part_impots"),
    (("qpv_filo", "filo_iris"), r"^DISP_PPMINI(_A)?\d\d$", "part_minima_sociaux"),
    (("qpv_filo", "filo_iris"), r"^DISP_PPLOGT(_A)?\d\d$", "part_prestations_logement"),
    (("qpv_filo", "filo_iris"), r"^DISP_PPFAM(_A)?\d\d$", "part_prestations_familiales"),
    (("qpv_filo", "filo_iris"), r"^DEC_MED(_A)?\d\d$", "filo_dec_mediane"),
    (("qpv_filo", "filo_iris"), r"^DEC_D1(_A)?\d\d$", "filo_dec_d1"),
    (("qpv_filo", "filo_iris"), r"^DEC_D9(_A)?\d\d$", "filo_dec_d9"),
    (("qpv_filo", "filo_iris"), r"^DEC_PIMP(_A)?\d\d$", "part_menages_imposes"),
    (("qpv_filo", "filo_iris"), r"^DEC_TP60(_A)?\d\d$", "taux_bas_revenus_declares"),
    (("filo_disp",), r"^Q2\d\d$", "filo_disp_mediane"),
    (("filo_disp",), r"^Q1\d\d$", "filo_disp_q1"),
    (("filo_disp",), r"^Q3\d\d$", "filo_disp_q3"),
    (("filo_disp", "filo_cc"), r"^D1\d\d$", "filo_disp_d1"),
    (("filo_disp", "filo_cc"), r"^D9\d\d$", "filo_disp_d9"),
    (("filo_disp",), r"^RD$", "filo_disp_rapport_d9_d1"),
    (("filo_cc",), r"^RD\d\d$", "filo_disp_rapport_d9_d1"),
    (("filo_disp",), r"^GI\d\d$", "filo_disp_gini"),
    (("filo_disp",), r"^NBMEN\d\d$", "menages_fiscaux"),
    (("filo_disp",), r"^NBPERS\d\d$", "personnes_menages_fiscaux"),
    (("filo_cc", "comparateur"), r"^NBMENFISC\d\d$", "menages_fiscaux"),
    (("filo_cc",), r"^NBPERSMENFISC\d\d$", "personnes_menages_fiscaux"),
    (("filo_cc", "comparateur"), r"^MED\d\d$", "filo_disp_mediane"),
    (("filo_cc", "comparateur"), r"^TP60\d\d$", "taux_pauvrete_60"),
    (("filo_cc", "comparateur"), r"^PIMP\d\d$", "part_menages_imposes"),
    (("filo_disp", "filo_cc"), r"^PPSOC\d\d$", "part_prestations_sociales"),
    (("filo_disp", "filo_cc"), r"^PACT\d\d$", "part_revenus_activite"),
    (("filo_disp", "filo_cc"), r"^PPEN\d\d$", "part_pensions"),
    (("filo_disp", "filo_cc"), r"^PPAT\d\d$", "part_revenus_patrimoine"),
    (("filo_disp", "filo_cc"), r"^PIMPOT\d\d$", "part_impots"),
    (("filo_disp", "filo_cc"), r"^PPMINI\d\d$", "part_minima_sociaux"),
    (("filo_disp", "filo_cc"), r"^PPLOGT\d\d$", "part_prestations_logement"),
    (("filo_disp", "filo_cc"), r"^PPFAM\d\d$", "part_prestations_familiales"),
    (("comparateur",), r"^P\d\d_POP$", "population"),
    (("comparateur",), r"^P\d\d_MEN$", "menages"),
    (("comparateur",), r"^P\d\d_LOG$", "logements"),
    (("comparateur",), r"^P\d\d_RP$", "residences_principales"),
    (("comparateur",), r"^P\d\d_LOGVAC$", "logements_vacants"),
    (("comparateur",), r"^P\d\d_RP_PROP$", "rp_proprietaires"),
    (("comparateur",), r"^P\d\d_POP1564$", "population_15_64"),
    (("comparateur",), r"^P\d\d_ACT1564$", "actifs_15_64"),
    (("comparateur",), r"^P\d\d_CHOM1564$", "chomeurs_15_64"),
)

# Rates recomputed from published counts of the same file: (indicator, numerator ind., denominator ind.)
RECOMPUTED: tuple[tuple[str, str, str], ...] = (
    ("taux_chomage_15_64", "chomeurs_15_64", "actifs_15_64"),
    ("taux_activite_15_64", "actifs_15_64", "population_15_64"),
)
