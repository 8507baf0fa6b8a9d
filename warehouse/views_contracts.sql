-- Contract views: frozen baselines and their evaluation. Statements separated by a line holding ";;".
COMMENT ON TABLE contract_baseline IS 'Frozen baselines of the contracts (contracts/*.toml), copied from the baseline store <home>/baselines/<contract>/<date>.parquet: never recomputed by a refresh.';
;;
COMMENT ON TABLE contract_evaluation IS 'Each frozen baseline against this build''s figures (at the build date): change, gap QPV − reference territory then and now, comparability flag and reason.';
;;
CREATE VIEW v_baseline AS
SELECT b.contract, b.baseline_date, b.frozen_at, b.role, b.qpv_code,
       b.territory_kind, b.territory_code, b.territory_name,
       b.indicator_id, b.theme, b.label_fr, b.unit,
       b.value, b.numerator, b.denominator, b.status, b.period, b.period_type, b.geo_version, b.method,
       b.interval_low, b.interval_high,
       b.source_dataset, b.source_vintage, b.source_file_name, b.source_sha256, b.source_url,
       b.definition AS definition_at_baseline,
       i.definition IS DISTINCT FROM b.definition OR i.unit IS DISTINCT FROM b.unit AS definition_changed_since
FROM contract_baseline b
LEFT JOIN indicator i USING (indicator_id);
;;
COMMENT ON VIEW v_baseline IS 'Frozen baseline lines of every contract: one indicator × territory (2024 QPV, 2015 QPV it replaces, reference territory) with value, numerator, denominator, status, data period, geography version, method, source file and sha256; definition_changed_since flags an indicator whose catalog definition changed after the freeze.';
;;
CREATE VIEW v_evaluation AS
SELECT contract, baseline_date, evaluated_at, qpv_code, role, territory_kind, territory_code, territory_name,
       indicator_id, theme, label_fr, unit,
       reference_kind, reference_code, reference_name,
       qpv_period_baseline, qpv_value_baseline, qpv_period_now, qpv_value_now, qpv_change,
       ref_period_baseline, ref_value_baseline, ref_period_now, ref_value_now, ref_change,
       gap_baseline, gap_now, gap_change, gap_reduced,
       comparability, gap_comparability, reason,
       qpv_status_baseline, qpv_status_now, qpv_geo_baseline, qpv_geo_now,
       qpv_source_baseline, qpv_sha256_baseline, qpv_source_now, qpv_sha256_now
FROM contract_evaluation;
;;
COMMENT ON VIEW v_evaluation IS 'Each contract''s QPV figures now vs its frozen baseline, against each reference territory: change, gap (QPV − reference; in points for a rate; not computed for counts) then and now, change of the gap, and comparability flags (comparable, avec_reserve, non_comparable, non_mesurable) of the QPV change and of the gap change, with the reason in words.';
