DROP TABLE flags;
DROP TABLE blobs;
DROP TABLE declaration_versions;
DROP TABLE declarations;
