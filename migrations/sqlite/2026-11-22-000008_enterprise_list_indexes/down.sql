DROP INDEX enterprises_program_tier;
DROP INDEX enterprises_program_id;
