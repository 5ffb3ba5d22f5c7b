DROP TABLE disbursements;
DROP TABLE subsidy_decisions;
DROP TABLE budget_pools;
DROP TABLE subsidy_policies;
