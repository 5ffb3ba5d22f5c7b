-- Keyset pages of a programme's enterprises (`ORDER BY id` after the
-- filters): with the filter columns first and id last, a page reads only
-- its own rows instead of sorting the programme (measured at 1,000,000
-- rows in tests/benches/api_load.rs).
CREATE INDEX enterprises_program_id ON enterprises (program_id, id);
CREATE INDEX enterprises_program_tier ON enterprises (program_id, tier, id);
