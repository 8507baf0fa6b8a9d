-- Quartiers warehouse schema. Geometry is Lambert-93 (EPSG:2154); `geom` is built from `geom_wkb`.
-- Every figure carries its source file (sha256), vintage and geography version.

CREATE TABLE warehouse_info (
    key VARCHAR PRIMARY KEY,
    value VARCHAR
);
COMMENT ON TABLE warehouse_info IS 'When and how this warehouse was built (build time, run id, data label such as "données synthétiques").';

CREATE TABLE source_file (
    sha256 VARCHAR PRIMARY KEY,
    dataset VARCHAR NOT NULL,
    vintage VARCHAR,
    url VARCHAR NOT NULL,
    file_name VARCHAR,
    size_bytes BIGINT,
    fetched_at VARCHAR,
    origin VARCHAR,          -- http | mirror | local
    etag VARCHAR,
    last_modified VARCHAR,
    licence VARCHAR
);
COMMENT ON TABLE source_file IS 'One row per official file used by this build, keyed by its sha256 in the raw archive.';

CREATE TABLE territory (
    kind VARCHAR NOT NULL,          -- qpv2024, qpv2015, commune, epci, departement, region, france
    code VARCHAR NOT NULL,
    name VARCHAR,
    geo_version VARCHAR NOT NULL,   -- qpv2024, qpv2015, cog2024…
    area_m2 DOUBLE,
    geom_wkb BLOB,
    geom_repaired BOOLEAN,
    source_sha256 VARCHAR,
    PRIMARY KEY (kind, code, geo_version)
);
COMMENT ON TABLE territory IS 'Every territory of every kind and geography version, geometry in Lambert-93 (EPSG:2154).';

CREATE TABLE territory_link (
    child_kind VARCHAR NOT NULL,
    child_code VARCHAR NOT NULL,
    child_version VARCHAR NOT NULL,
    parent_kind VARCHAR NOT NULL,
    parent_code VARCHAR NOT NULL,
    parent_version VARCHAR NOT NULL,
    area_share DOUBLE,              -- share of the child's area inside the parent; NULL = not measured
    method VARCHAR,                 -- spatial | declared | cog | insee_lib_com (LIB_COM of INSEE QPV bases)
    declared BOOLEAN,               -- the publisher lists this parent for the child
    PRIMARY KEY (child_kind, child_code, child_version, parent_kind, parent_code, parent_version)
);
COMMENT ON TABLE territory_link IS 'Child → parent: QPV → commune(s) with area shares; commune → EPCI/département; département → région/France.';

CREATE TABLE qpv_crosswalk (
    code_2015 VARCHAR,
    code_2024 VARCHAR,
    area_2015_m2 DOUBLE,
    area_2024_m2 DOUBLE,
    overlap_m2 DOUBLE NOT NULL,
    share_of_2015 DOUBLE,
    share_of_2024 DOUBLE,
    relation VARCHAR NOT NULL       -- unchanged, extended, reduced, merged, split, new, removed, added_area, dropped_area, sliver
);
COMMENT ON TABLE qpv_crosswalk IS 'QPV 2015 × QPV 2024 overlaps measured on the perimeters; per QPV the shares sum to 1.';

CREATE TABLE qpv_predecessor (
    code_2024 VARCHAR NOT NULL,
    code_2015 VARCHAR NOT NULL,
    basis VARCHAR NOT NULL,         -- official_list (ANCT's correspondence list), overlap (qpv_crosswalk), contract
    share_of_2015 DOUBLE,           -- part of the 2015 QPV's area inside the 2024 one (NULL: not measured)
    share_of_2024 DOUBLE,           -- part of the 2024 QPV's area the 2015 one covers (NULL: not measured)
    relation VARCHAR,               -- crosswalk relation, or the official list's status as published
    declared_by VARCHAR,            -- contracts declaring the pair, comma-joined
    used BOOLEAN NOT NULL           -- the most authoritative basis held for this 2024 QPV
);
COMMENT ON TABLE qpv_predecessor IS 'The 2015 QPVs each 2024 QPV replaces, one row per piece of evidence (ANCT list, measured overlap, contract declaration); used = the basis its figures are shown on (the list wins, then the overlap, then the contract).';

CREATE TABLE qpv_correspondence (
    code_2024 VARCHAR NOT NULL,
    name_2024 VARCHAR,
    status VARCHAR,                 -- `Statut` as published
    code_2015 VARCHAR,              -- NULL: a new quartier, no 2015 predecessor
    name_2015 VARCHAR,
    rank INTEGER,                   -- 1 to 3: the column pair QP2015_n it came from
    source_row INTEGER NOT NULL,
    source_sha256 VARCHAR NOT NULL
);
COMMENT ON TABLE qpv_correspondence IS 'ANCT''s correspondence list QPV 2024 ↔ QPV 2015 as published (liste-correspondance-qp2024-qp2015.csv), one row per pair; empty when no such file was given.';

CREATE TABLE contract_qpv (
    contract VARCHAR NOT NULL,
    code_2024 VARCHAR NOT NULL,
    name_2024 VARCHAR,
    code_2015 VARCHAR               -- a 2015 QPV the contract declares this 2024 QPV replaces (NULL: none)
);
COMMENT ON TABLE contract_qpv IS 'The QPVs of every contract in contracts/ and the 2015 QPVs each declares they replace (replaces).';

CREATE TABLE contract_college_secteur (
    contract VARCHAR NOT NULL,
    code_2024 VARCHAR NOT NULL,
    uai VARCHAR NOT NULL            -- a collège the 2024 QPV's pupils attend, whatever its distance
);
COMMENT ON TABLE contract_college_secteur IS 'The collèges de secteur each contract declares for its 2024 QPVs ([[college_secteur]] in contracts/<name>.toml).';

CREATE TABLE indicator (
    indicator_id VARCHAR PRIMARY KEY,
    theme VARCHAR,
    label_fr VARCHAR NOT NULL,
    definition VARCHAR,
    unit VARCHAR,                   -- count, percent, euro, index, ratio
    numerator_def VARCHAR,
    denominator_def VARCHAR,
    summable BOOLEAN,               -- counts sum across territories; rates and medians do not
    aggregation VARCHAR,            -- sum | ratio | not_aggregable
    source VARCHAR,
    method VARCHAR
);
COMMENT ON TABLE indicator IS 'The indicator catalog: French label, definition, unit, numerator and denominator, aggregation rule.';

CREATE TABLE observation (
    indicator_id VARCHAR NOT NULL,
    territory_kind VARCHAR NOT NULL,
    territory_code VARCHAR NOT NULL,
    geo_version VARCHAR NOT NULL,
    period VARCHAR NOT NULL,        -- data period: "2019", "2023-Q4", "2022-12-31", "2023-2024"
    period_type VARCHAR,            -- year | quarter | date | school_year
    value DOUBLE,                   -- NULL when suppressed, missing or not applicable: never imputed
    numerator DOUBLE,
    denominator DOUBLE,
    status VARCHAR NOT NULL,        -- published | suppressed | estimated | missing | not_applicable | not_computable
    method VARCHAR NOT NULL,        -- published | recomputed | summed | grid_estimate
    interval_low DOUBLE,
    interval_high DOUBLE,
    source_dataset VARCHAR,
    source_vintage VARCHAR,         -- the release label, not the data year
    source_sha256 VARCHAR,
    parts_hidden BIGINT,            -- not_computable (our sum or share, some part secret): parts hidden…
    parts_total BIGINT,             -- …out of how many parts
    best BOOLEAN                    -- the one figure per indicator, territory and period views show
);
COMMENT ON TABLE observation IS 'Every figure: indicator × territory × geography version × period, with status, method, and its source file.';
