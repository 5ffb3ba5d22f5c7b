DROP TABLE enterprises;
