-- Time-series views over `observation`. Each statement is separated by a line holding only ";;".
CREATE VIEW v_series AS
SELECT o.indicator_id, i.label_fr AS indicator_label, i.unit,
       o.territory_kind, o.territory_code, coalesce(tq.name, tn.name) AS territory_name,
       o.geo_version, o.period, o.period_type, o.value, o.numerator, o.denominator,
       o.status,
       CASE o.status
           WHEN 'published' THEN 'publié'
           WHEN 'suppressed' THEN 'secret statistique'
           WHEN 'not_computable' THEN 'non calculable : une partie sous secret statistique ('
                || o.parts_hidden || ' sur ' || o.parts_total || ')'
           WHEN 'missing' THEN 'manquant (période non publiée)'
           WHEN 'not_applicable' THEN 'sans objet'
           WHEN 'estimated' THEN 'estimé'
       END AS status_fr,
       o.method, o.interval_low, o.parts_hidden, o.parts_total, o.source_dataset AS source, o.source_vintage, o.source_sha256
FROM observation o
LEFT JOIN indicator i ON i.indicator_id = o.indicator_id
LEFT JOIN territory tq
       ON tq.kind = o.territory_kind AND tq.code = o.territory_code AND tq.geo_version = o.geo_version
LEFT JOIN (SELECT kind, code, any_value(name) AS name FROM territory GROUP BY kind, code) tn
       ON tn.kind = o.territory_kind AND tn.code = o.territory_code;
;;
COMMENT ON VIEW v_series IS 'Every figure as a time series: indicator × territory × geography version × period, value, status (publié, secret statistique = hidden by the producer, non calculable = our sum or share prevented by a secret part, manquant = a gap in the publication, never a zero), source dataset and release. One series = one (indicator, territory, geo_version, source): never join qpv2015 and qpv2024 rows.';
;;
CREATE VIEW v_series_coverage AS
SELECT c.source, c.indicator_id, i.label_fr AS indicator_label, c.period, c.period_type,
       c.n_qpv2015, c.n_qpv2024, c.coverage,
       CASE c.coverage
           WHEN 'both' THEN 'les deux géographies (séries distinctes)'
           WHEN 'qpv2015_only' THEN 'seulement la géographie 2015'
           WHEN 'qpv2024_only' THEN 'seulement la géographie 2024'
           ELSE 'aucune'
       END AS coverage_fr
FROM series_coverage c
LEFT JOIN indicator i ON i.indicator_id = c.indicator_id;
;;
COMMENT ON VIEW v_series_coverage IS 'For each CAF and job-seeker indicator and period: whether QPV figures exist in the 2015 geography, the 2024 geography or both (where only the old one exists, it says so).';
