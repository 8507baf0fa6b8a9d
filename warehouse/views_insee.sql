-- Profile views (INSEE, Filosofi, grid estimates and every other source in `observation`).
-- The best figure per indicator, territory and period was chosen when `observation` was staged
-- (models/observation_best.py: the `best` flag), and the table is sorted by territory: a filter on a
-- territory reads a few row groups, and no window ranks millions of rows at build or query time.
CREATE VIEW observation_best AS SELECT * EXCLUDE (best) FROM observation WHERE best;
;;
CREATE VIEW v_observation_best AS SELECT * FROM observation_best;
;;
COMMENT ON VIEW observation_best IS 'observation reduced to one figure per indicator, territory and period (the rows flagged best; see v_observation_best).';
;;
COMMENT ON VIEW v_observation_best IS 'One figure per indicator, territory and data period (and geography for the all-QPV aggregate): a published or estimated figure first, then the figure as published over a derived one, then the latest release.';
;;
-- The profile of every QPV, materialised once at build time and physically sorted by geography and
-- QPV code: a profile query reads the one or two row groups DuckDB's zonemaps keep (milliseconds).
-- A 2024 QPV also carries the figures of the 2015 QPV(s) it replaces (qpv_predecessor, the basis used),
-- each row labelled with the perimeter it was measured on (measured_kind/measured_code), beside the 2024
-- QPV's own reference territories; never summed into a 2024 figure.
CREATE TABLE profile AS
WITH qpv AS (
    SELECT DISTINCT territory_kind AS geography, territory_code AS qpv_code
    FROM observation WHERE territory_kind IN ('qpv2015', 'qpv2024')
    UNION
    SELECT kind, code FROM territory WHERE kind IN ('qpv2015', 'qpv2024')
),
measured AS (
    SELECT geography, qpv_code, geography AS measured_kind, qpv_code AS measured_code,
           NULL::VARCHAR AS basis, NULL::DOUBLE AS share_of_2015, NULL::DOUBLE AS share_of_2024
    FROM qpv
    UNION ALL
    SELECT DISTINCT 'qpv2024', code_2024, 'qpv2015', code_2015, basis, share_of_2015, share_of_2024
    FROM qpv_predecessor WHERE used
),
qpv_commune AS (
    SELECT q.geography, q.qpv_code, l.parent_code AS commune_code
    FROM qpv q JOIN territory_link l
      ON l.child_kind = q.geography AND l.child_code = q.qpv_code AND l.parent_kind = 'commune'
),
shared_refs AS (
    SELECT geography, qpv_code, 2 AS ref_order, 'commune' AS role, 'commune' AS ref_kind, commune_code AS ref_code
    FROM qpv_commune
    UNION ALL
    SELECT DISTINCT c.geography, c.qpv_code, 3, 'epci', 'epci', e.parent_code
    FROM qpv_commune c JOIN territory_link e
      ON e.child_kind = 'commune' AND e.child_code = c.commune_code AND e.parent_kind = 'epci'
    UNION ALL
    SELECT DISTINCT c.geography, c.qpv_code, 4, 'departement', 'departement', d.parent_code
    FROM qpv_commune c JOIN territory_link d
      ON d.child_kind = 'commune' AND d.child_code = c.commune_code AND d.parent_kind = 'departement'
    UNION ALL
    SELECT geography, qpv_code, 5, 'france', 'france', 'FRM' FROM qpv
),
-- the QPV column shows the perimeter measured on; the all-QPV aggregate is that perimeter's geography
refs AS (
    SELECT m.geography, m.qpv_code, m.measured_kind, m.measured_code, s.ref_order, s.role, s.ref_kind, s.ref_code
    FROM measured m JOIN shared_refs s ON s.geography = m.geography AND s.qpv_code = m.qpv_code
    UNION ALL
    SELECT geography, qpv_code, measured_kind, measured_code, 1, 'qpv', measured_kind, measured_code FROM measured
    UNION ALL
    SELECT geography, qpv_code, measured_kind, measured_code, 6, 'all_qpv', 'ensemble_qpv', 'ensemble'
    FROM measured
),
figures AS (
    SELECT DISTINCT m.geography, m.qpv_code, m.measured_kind, m.measured_code, o.indicator_id, o.period
    FROM measured m JOIN observation_best o
      ON o.territory_kind = m.measured_kind AND o.territory_code = m.measured_code
    UNION
    -- census IRIS figures of the QPV's commune(s) (diplomas, schooling…): no QPV file gives them
    SELECT DISTINCT c.geography, c.qpv_code, c.geography, c.qpv_code, o.indicator_id, o.period
    FROM qpv_commune c JOIN observation_best o
      ON o.territory_kind = 'commune' AND o.territory_code = c.commune_code AND o.source_dataset = 'insee_rp'
),
names AS (SELECT kind, code, any_value(name) AS name FROM territory GROUP BY kind, code)
SELECT f.geography, f.qpv_code, qn.name AS qpv_name,
       f.measured_kind, f.measured_code, mn.name AS measured_name,
       m.basis, m.share_of_2015, m.share_of_2024,
       i.theme, f.indicator_id, i.label_fr, i.unit, f.period,
       r.role, r.ref_order, r.ref_kind, r.ref_code,
       CASE WHEN r.ref_kind = 'ensemble_qpv' THEN 'Ensemble des QPV' ELSE rn.name END AS ref_name,
       o.value, o.status, o.method, o.interval_low, o.interval_high, o.numerator, o.denominator,
       o.parts_hidden, o.parts_total, o.source_dataset, o.source_vintage, o.geo_version, sf.file_name AS source_file
FROM figures f
JOIN measured m
  ON m.geography = f.geography AND m.qpv_code = f.qpv_code
 AND m.measured_kind = f.measured_kind AND m.measured_code = f.measured_code
JOIN refs r
  ON r.geography = f.geography AND r.qpv_code = f.qpv_code
 AND r.measured_kind = f.measured_kind AND r.measured_code = f.measured_code
-- Equalities only (an OR in a LEFT JOIN condition makes DuckDB compare every pair of rows): the all-QPV
-- aggregate is matched on its geography, every other reference on '' = ''.
-- Only the figures of reference territories go into the join's hash table (most commune figures are of
-- communes without a QPV: 15 s → 11 s on the national warehouse).
LEFT JOIN (
    SELECT *, CASE WHEN territory_kind = 'ensemble_qpv' THEN geo_version ELSE '' END AS match_geography
    FROM observation_best
    WHERE (territory_kind, territory_code) IN (SELECT ref_kind, ref_code FROM refs)
) o
  ON o.territory_kind = r.ref_kind AND o.territory_code = r.ref_code
 AND o.indicator_id = f.indicator_id AND o.period = f.period
 AND o.match_geography = CASE WHEN r.ref_kind = 'ensemble_qpv' THEN f.measured_kind ELSE '' END
LEFT JOIN indicator i ON i.indicator_id = f.indicator_id
LEFT JOIN names qn ON qn.kind = f.geography AND qn.code = f.qpv_code
LEFT JOIN names mn ON mn.kind = f.measured_kind AND mn.code = f.measured_code
LEFT JOIN names rn ON rn.kind = r.ref_kind AND rn.code = r.ref_code
LEFT JOIN source_file sf ON sf.sha256 = o.source_sha256
ORDER BY f.geography, f.qpv_code, f.measured_kind DESC, f.measured_code, i.theme, f.indicator_id, f.period,
         r.ref_order, r.ref_code;
;;
CREATE VIEW v_profile AS SELECT * FROM profile;
;;
COMMENT ON VIEW v_profile IS 'The profile of every QPV (both geographies): for each indicator and data period of the QPV (for a 2024 QPV also of each 2015 QPV it replaces, per qpv_predecessor: measured_kind/measured_code name the perimeter a figure was measured on, basis and shares say why) (and each census IRIS indicator of its commune(s), source insee_rp, that no QPV file gives), one row per reference territory (role: qpv, commune(s), epci, departement, france = France métropolitaine, all_qpv = all QPVs of its geography) with value, status (published, suppressed = secret statistique, estimated, not_applicable = non estimable, missing, not_computable = our sum or share prevented by parts_hidden secret parts of parts_total), method (grid estimates carry interval_low/interval_high), source dataset, release (source_vintage), geography version and source file. A reference without a figure for that period has NULL status.';
;;
COMMENT ON TABLE profile IS 'v_profile materialised at build time, one row per QPV × indicator × data period × reference territory, sorted by geography and QPV code (read it through profile_of(geography, code)).';
;;
CREATE MACRO profile_of(p_geography, p_code) AS TABLE
SELECT * FROM profile WHERE geography = p_geography AND qpv_code = p_code;
;;

