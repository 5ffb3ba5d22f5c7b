DROP TABLE finance_products;
DROP TABLE program_events;
DROP TABLE benchmarks;
DROP TABLE spot_check_findings;
DROP TABLE spot_checks;
DROP TABLE monitoring_settings;
DROP TABLE targets;
