-- Education views. Each statement is separated by a line holding only ";;".
CREATE VIEW v_schools AS
SELECT s.rentree, s.rentree_label, s.uai, s.name, s.level, s.sector, s.ep_status, s.ep_source,
       s.pupils, s.ips, s.ips_status, s.ips_ecart_type, s.ips_series,
       s.ips_departemental, s.ips_academique, s.ips_national, s.lycee_type,
       s.iva_session, s.iva_taux_de_reussite_g, s.iva_va_du_taux_de_reussite_g,
       s.iva_note_a_l_ecrit_g, s.iva_va_de_la_note_g, s.iva_taux_d_acces_6eme_3eme,
       s.commune_code, c.name AS commune_name,
       r.territory_kind AS geography, r.territory_code AS qpv_code, q.name AS qpv_name,
       r.relation, r.distance_m, r.near_m,
       s.coord_status, s.coord_precision, s.lon, s.lat, s.x_l93, s.y_l93,
       CASE WHEN s.x_l93 IS NULL THEN NULL ELSE ST_Point(s.x_l93, s.y_l93) END AS geom
FROM school s
LEFT JOIN school_qpv r ON r.uai = s.uai
LEFT JOIN territory q ON q.kind = r.territory_kind AND q.code = r.territory_code AND q.geo_version = r.geo_version
LEFT JOIN (SELECT code, any_value(name) AS name FROM territory WHERE kind = 'commune' GROUP BY code) c
       ON c.code = s.commune_code;
;;
COMMENT ON VIEW v_schools IS 'Schools per rentrée with their QPV relation (one row per school × QPV it is inside or near, both geographies; one row with geography NULL for a school near no QPV): EP status, pupils, IPS and standard deviation, IVAC, commune, distance to the perimeter in metres, coordinate status, point geometry (Lambert-93).';

;;
CREATE VIEW v_school_qpv AS
SELECT r.uai, l.name, l.level, r.territory_kind AS geography, r.territory_code AS qpv_code, r.relation,
       r.distance_m,
       r.relation = 'inside' AS inside,
       r.distance_m <= 100 AS within_100m,
       r.distance_m <= 300 AS within_300m,
       r.distance_m <= 1000 AS within_1km,
       r.distance_m <= CASE l.level WHEN 'ecole' THEN 100 ELSE 300 END AS insee_proximity
FROM school_qpv r
LEFT JOIN (
    SELECT uai, name, level FROM school QUALIFY row_number() OVER (PARTITION BY uai ORDER BY rentree DESC) = 1
) l ON l.uai = r.uai;
;;
COMMENT ON VIEW v_school_qpv IS 'Each school within 1 km of each QPV (both geographies) with its distance to the perimeter (0 inside) and the flags inside, within_100m, within_300m, within_1km and insee_proximity (INSEE''s convention: écoles within 100 m, collèges and lycées within 300 m). The distance is a filter, never a build setting.';
