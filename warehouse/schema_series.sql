-- Time-series tables of the CAF and job-seeker sources (pipelines/assets/series.py).

CREATE TABLE revision_log (
    source VARCHAR NOT NULL,        -- caf | france_travail
    indicator_id VARCHAR NOT NULL,
    territory_kind VARCHAR NOT NULL,
    territory_code VARCHAR NOT NULL,
    geo_version VARCHAR NOT NULL,
    period_type VARCHAR NOT NULL,
    period VARCHAR NOT NULL,
    old_value DOUBLE,
    new_value DOUBLE,
    old_status VARCHAR,
    new_status VARCHAR,
    old_vintage VARCHAR,            -- the earlier release (kept only here)
    new_vintage VARCHAR             -- the later release (the one in `observation`)
);
COMMENT ON TABLE revision_log IS 'Figures a publisher republished with another value or status: the later release wins in observation, the earlier one is kept here.';

CREATE TABLE series_coverage (
    source VARCHAR NOT NULL,
    indicator_id VARCHAR NOT NULL,
    period VARCHAR NOT NULL,
    period_type VARCHAR NOT NULL,
    n_qpv2015 BIGINT NOT NULL,      -- QPV figures (published or suppressed) in the 2015 geography
    n_qpv2024 BIGINT NOT NULL,      -- … in the 2024 geography
    coverage VARCHAR NOT NULL,      -- both | qpv2015_only | qpv2024_only | none
    PRIMARY KEY (source, indicator_id, period, period_type)
);
COMMENT ON TABLE series_coverage IS 'Per source, indicator and period: which QPV geography has figures (2015, 2024, both). The two geographies are separate series, never joined.';
