-- Education (data.education.gouv.fr): schools and their placement in QPV perimeters.
-- Coordinates: WGS84 as published, Lambert-93 (EPSG:2154) projected for metropolitan France only.

CREATE TABLE school (
    uai VARCHAR NOT NULL,                 -- 7 digits + check letter
    rentree INTEGER NOT NULL,             -- first year of the school year: 2023 = 2023-2024
    rentree_label VARCHAR NOT NULL,       -- "2023-2024"
    name VARCHAR,
    commune_code VARCHAR,                 -- INSEE code of the school's commune
    level VARCHAR,                        -- ecole | college | lycee
    sector VARCHAR,                       -- public | prive
    ep_status VARCHAR,                    -- REP | REP+ | hors EP | prive | NULL (unknown)
    ep_source VARCHAR,                    -- ep_list | effectifs | ep_list_absence | annuaire | sector
    ips DOUBLE,                           -- indice de position sociale; NULL when suppressed (NS) or absent
    ips_status VARCHAR,                   -- published | suppressed | NULL (no IPS row)
    ips_ecart_type DOUBLE,                -- standard deviation of the pupils' IPS (collèges, lycées)
    ips_series VARCHAR,                   -- legacy | ap2022 | ap2023: IPS compare only within a series
    ips_departemental DOUBLE,
    ips_academique DOUBLE,
    ips_national DOUBLE,
    lycee_type VARCHAR,                   -- LEGT | LPO | LP
    iva_session INTEGER,                  -- DNB session (June) of the IVAC figures: rentree + 1
    iva_taux_de_reussite_g DOUBLE,        -- DNB success rate (percent)
    iva_va_du_taux_de_reussite_g DOUBLE,  -- its value added (points)
    iva_note_a_l_ecrit_g DOUBLE,          -- mean written mark (out of 20)
    iva_va_de_la_note_g DOUBLE,           -- its value added
    iva_taux_d_acces_6eme_3eme DOUBLE,    -- access rate from 6e to 3e (percent)
    pupils BIGINT,
    pupils_source VARCHAR,                -- effectifs | ips
    x_l93 DOUBLE,
    y_l93 DOUBLE,
    lon DOUBLE,
    lat DOUBLE,
    coord_status VARCHAR NOT NULL,        -- ok | imprecise | missing | out_of_bounds | swapped
    coord_precision VARCHAR,              -- geocoding level as published (Numéro de rue, Rue, Ville)
    ips_dataset VARCHAR,
    effectifs_dataset VARCHAR,
    ep_dataset VARCHAR,
    directory_dataset VARCHAR,
    iva_dataset VARCHAR,
    PRIMARY KEY (uai, rentree)
);
COMMENT ON TABLE school IS 'One row per school (UAI) and rentrée: level, sector, EP status, IPS and its standard deviation, IVAC, pupils, coordinates (WGS84 and Lambert-93) and their status. Schools without usable coordinates are kept and flagged by coord_status.';

CREATE TABLE school_qpv (
    uai VARCHAR NOT NULL,
    territory_kind VARCHAR NOT NULL,      -- qpv2024 | qpv2015
    territory_code VARCHAR NOT NULL,
    geo_version VARCHAR NOT NULL,
    relation VARCHAR NOT NULL,            -- inside | near
    distance_m DOUBLE NOT NULL,           -- 0 inside; else true distance to the perimeter (Lambert-93)
    coord_status VARCHAR NOT NULL,        -- ok | imprecise (imprecise points are placed, and say so)
    near_m DOUBLE NOT NULL,               -- the radius school_qpv keeps: 1 km around every QPV, always
    PRIMARY KEY (uai, territory_kind, territory_code, geo_version)
);
COMMENT ON TABLE school_qpv IS 'Each school with usable coordinates × each QPV perimeter (2024 and 2015 geographies) it lies inside or within 1 km of (near_m), with the true point-to-polygon distance; see v_school_qpv for the 100 m / 300 m / 1 km flags.';
