DROP TABLE complaint_rectifications;
