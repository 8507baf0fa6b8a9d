-- Job-seeker views. Each statement is separated by a line holding only ";;".
CREATE VIEW v_defm_qpv_share AS
SELECT o.territory_kind AS geography, o.territory_code AS qpv_code, q.name AS qpv_name, o.period,
       round(o.value, 1) AS pct_of_commune, o.numerator AS qpv_job_seekers,
       o.denominator AS commune_job_seekers, o.status, o.source_vintage
FROM observation o
LEFT JOIN territory q ON q.kind = o.territory_kind AND q.code = o.territory_code
WHERE o.indicator_id = 'defm_abc_part_commune_pct';
;;
COMMENT ON VIEW v_defm_qpv_share IS '"X % des demandeurs d''emploi de la commune habitent le quartier": ABC job seekers of the QPV / those of its commune(s), same quarter (T4), both geographies kept apart.';
