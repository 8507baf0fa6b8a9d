"""Dagster wiring of Quartiers (assets, resources, schedules, sensors) and the CLI."""

import os

# Polars' allocator (jemalloc, whose options are read from this variable when the library first
# allocates, so before polars is imported) keeps freed pages for ~10 s by default. The steps of a refresh
# follow each other faster than that, so each step's memory stayed resident under the next one's and the
# national refresh's peak RSS was the sum of several steps. Freed pages now go back to the OS within a
# second, by a background thread (at once, 0 ms, cost 45 s more of system time on the national refresh
# for the page faults). A value the user set wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0")
