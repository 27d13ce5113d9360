-- Reference data (GB/T 2260 divisions, GB/T 4754-2017 industries, ICS, CCS, SAC industry standard
-- codes, the national standards catalogue, the Chongqing plan targets). Rows are loaded by
-- `stdreg catalog import` (which `stdreg migrate` also runs) from CSV files embedded in the binary.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE divisions (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('province', 'prefecture', 'county')),
    parent_code TEXT,
    province_code TEXT
);
CREATE INDEX divisions_parent_idx ON divisions (parent_code);

-- Every county-level-and-above code used 1981-2024 (a code can have several records).
CREATE TABLE division_history (
    id SERIAL PRIMARY KEY,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    level TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('in_use', 'retired', 'changed')),
    province_name TEXT NOT NULL,
    prefecture_name TEXT NOT NULL,
    start_year INTEGER NOT NULL,
    end_year INTEGER,
    new_codes TEXT NOT NULL,
    UNIQUE (code, name, start_year)
);
CREATE INDEX division_history_code_idx ON division_history (code);

CREATE TABLE industries (
    code TEXT PRIMARY KEY,
    level TEXT NOT NULL CHECK (level IN ('section', 'division', 'group', 'class')),
    name TEXT NOT NULL,
    parent_code TEXT,
    section TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX industries_parent_idx ON industries (parent_code);

CREATE TABLE ics_codes (
    code TEXT PRIMARY KEY,
    level TEXT NOT NULL,
    parent_code TEXT,
    title_en TEXT NOT NULL,
    title_zh TEXT NOT NULL
);

CREATE TABLE ccs_codes (
    code TEXT PRIMARY KEY,
    level TEXT NOT NULL,
    parent_code TEXT,
    name_zh TEXT NOT NULL
);

-- SAC sector (industry standard) code prefixes: QC, SN, JB ...
CREATE TABLE sac_industry_codes (
    code TEXT PRIMARY KEY,
    industry_zh TEXT NOT NULL,
    industry_en TEXT NOT NULL,
    source TEXT NOT NULL
);

-- Known standards (national, industry, local), keyed by normalized number.
CREATE TABLE catalog_standards (
    number TEXT PRIMARY KEY,
    prefix TEXT NOT NULL,
    nature TEXT NOT NULL,
    title TEXT NOT NULL,
    publish_date DATE,
    implement_date DATE,
    status TEXT NOT NULL CHECK (status IN ('current', 'abolished', 'unknown')),
    replaces TEXT,
    replaced_by TEXT,
    source TEXT NOT NULL
);
CREATE INDEX catalog_standards_title_trgm ON catalog_standards USING gin (title gin_trgm_ops);
CREATE INDEX catalog_standards_number_trgm ON catalog_standards USING gin (number gin_trgm_ops);

-- The Chongqing 14th five-year standardization plan table (unit x metric x target).
CREATE TABLE plan_targets (
    seq INTEGER PRIMARY KEY,
    unit TEXT NOT NULL,
    unit_kind TEXT NOT NULL CHECK (unit_kind IN ('department', 'district_group')),
    national_industry_standards INTEGER,
    local_standards INTEGER,
    group_standards INTEGER,
    enterprise_standards INTEGER,
    note TEXT NOT NULL
);

CREATE TABLE district_groups (
    division_code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    district_group TEXT NOT NULL,
    subgroup TEXT NOT NULL
);

-- Public holidays and adjusted working days (调休) for working-day deadlines. Empty by default:
-- then Monday to Friday are the working days.
CREATE TABLE calendar_days (
    day DATE PRIMARY KEY,
    is_workday BOOLEAN NOT NULL,
    name TEXT NOT NULL
);
