-- INSEE and Filosofi grid tables (figures themselves are in `observation` / `indicator`).

CREATE TABLE grid_quality (
    territory_kind VARCHAR NOT NULL,        -- qpv2024 | qpv2015
    territory_code VARCHAR NOT NULL,
    geo_version VARCHAR NOT NULL,
    cells_inside BIGINT,                    -- 200 m cells wholly inside the perimeter
    cells_cut BIGINT,                       -- cells cut by the boundary (they make the bound)
    cut_estimate_share DOUBLE,              -- share of the estimated individuals that come from cut cells
    cut_cells_population_share DOUBLE,
    imputed_population_share DOUBLE,        -- share from cells INSEE imputed (< 11 households)
    suppressed BOOLEAN,                     -- fewer than 11 estimated households: nothing published
    period VARCHAR,                         -- data year of the grid
    source_vintage VARCHAR,
    PRIMARY KEY (territory_kind, territory_code, geo_version)
);
COMMENT ON TABLE grid_quality IS 'Per QPV perimeter (both geographies): how much of its Filosofi 200 m grid estimate rests on cells cut by the boundary or imputed by INSEE.';

CREATE TABLE grid_error (
    indicator_id VARCHAR NOT NULL,          -- grid indicator (filo_grid_*)
    published_indicator_id VARCHAR NOT NULL,-- the INSEE QPV figure it is compared with
    geography VARCHAR NOT NULL,             -- qpv2015: perimeters on which INSEE published figures
    grid_period VARCHAR,
    published_periods VARCHAR,              -- data years of the published figures compared
    n_territories BIGINT,
    mean_absolute_error DOUBLE,
    mean_relative_error DOUBLE,             -- mean of |estimate - published| / published
    max_absolute_error DOUBLE,
    mean_error DOUBLE,                      -- bias (estimate - published)
    share_within_interval DOUBLE            -- share of published figures inside the estimate's bound
);
COMMENT ON TABLE grid_error IS 'Measured error of the grid method on the 2015 QPV perimeters, against the figures INSEE published for the same QPVs.';

CREATE TABLE fragile_zone (
    zone_id VARCHAR PRIMARY KEY,
    epci_code VARCHAR NOT NULL,
    households DOUBLE,
    individuals DOUBLE,
    poor_households DOUBLE,
    poverty_rate DOUBLE,                    -- % of households
    epci_poverty_rate DOUBLE,               -- % of households of the EPCI (same grid measure)
    cells BIGINT,
    cell_ids VARCHAR[],
    geom_wkb BLOB,                          -- merged 200 m cells, Lambert-93
    period VARCHAR                          -- data year of the grid
);
COMMENT ON TABLE fragile_zone IS 'Fragile zones: contiguous 200 m cells outside the QPVs with a household poverty rate ≥ 2 × their EPCI''s (thresholds: FragileZoneConfig), ≥ 50 households or ≥ 100 individuals.';
