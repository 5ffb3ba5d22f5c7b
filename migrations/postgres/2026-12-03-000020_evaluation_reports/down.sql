DROP TABLE evaluation_reports;
