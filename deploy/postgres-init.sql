CREATE DATABASE yinling_platforms;
CREATE DATABASE yinling_enterprises;
CREATE DATABASE yinling_talent;
CREATE DATABASE yinling_finance;
CREATE DATABASE yinling_ingest;
CREATE DATABASE yinling_indicators;
CREATE DATABASE yinling_tokens;
CREATE DATABASE yinling_opendata;
