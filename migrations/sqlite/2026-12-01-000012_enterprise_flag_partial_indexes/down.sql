DROP INDEX enterprises_region_little_giant;
DROP INDEX enterprises_region_specialised;
CREATE INDEX enterprises_region_specialised ON enterprises (program_id, region_code, specialised, id);
CREATE INDEX enterprises_region_little_giant ON enterprises (program_id, region_code, little_giant, id);
