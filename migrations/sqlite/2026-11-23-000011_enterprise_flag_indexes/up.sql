-- A county's 专精特新 or 小巨人 enterprises (`region_code` with `specialised`
-- or `little_giant`, the filters county admins use most): with the flag
-- in the key before id, a keyset page reads only matching rows instead of
-- walking the region's run past the many without the flag (p99 172 ms at
-- 1,000,000 rows before, tests/benches/api_load.rs).
CREATE INDEX enterprises_region_specialised ON enterprises (program_id, region_code, specialised, id);
CREATE INDEX enterprises_region_little_giant ON enterprises (program_id, region_code, little_giant, id);
