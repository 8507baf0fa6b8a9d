-- Analyst views. Each statement is separated by a line holding only ";;".
CREATE VIEW v_territory AS
SELECT kind, code, name, geo_version, area_m2 / 10000 AS area_ha, geom_repaired,
       CASE WHEN geom_wkb IS NULL THEN NULL ELSE ST_GeomFromWKB(geom_wkb) END AS geom
FROM territory;
;;
COMMENT ON VIEW v_territory IS 'Territories with their geometry as a GEOMETRY (Lambert-93) and area in hectares.';
;;
CREATE VIEW v_qpv_communes AS
SELECT l.child_kind AS geography, l.child_code AS qpv_code, q.name AS qpv_name,
       l.parent_code AS commune_code, c.name AS commune_name, l.area_share, l.method, l.declared,
       e.parent_code AS epci_code, d.parent_code AS departement_code
FROM territory_link l
JOIN territory q ON q.kind = l.child_kind AND q.code = l.child_code
LEFT JOIN territory c ON c.kind = 'commune' AND c.code = l.parent_code
LEFT JOIN territory_link e ON e.child_kind = 'commune' AND e.child_code = l.parent_code AND e.parent_kind = 'epci'
LEFT JOIN territory_link d ON d.child_kind = 'commune' AND d.child_code = l.parent_code AND d.parent_kind = 'departement'
WHERE l.child_kind IN ('qpv2024', 'qpv2015') AND l.parent_kind = 'commune';
;;
COMMENT ON VIEW v_qpv_communes IS 'Each QPV of either geography with its communes (area share), EPCI and département.';
