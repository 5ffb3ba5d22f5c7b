DROP TABLE admissions;
DROP TABLE products;
DROP TABLE providers;
