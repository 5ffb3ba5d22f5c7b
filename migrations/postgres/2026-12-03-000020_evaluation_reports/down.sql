ALTER TABLE admissions DROP COLUMN evidence;
DROP TABLE evaluation_reports;
