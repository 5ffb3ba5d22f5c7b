DROP TABLE document_requirements;
DROP TABLE project_assignments;
DROP TABLE documents;
DROP TABLE progress_reports;
DROP TABLE project_transitions;
DROP TABLE projects;
