CREATE TABLE t (id int PRIMARY KEY, note text DEFAULT 'it''s; fine');
CREATE FUNCTION f() RETURNS trigger AS $body$
BEGIN
  NEW.note := 'x;y';
  RETURN NEW;
END
$body$ LANGUAGE plpgsql;
/* a block comment; with a semicolon */
-- a line comment;
CREATE INDEX ON t ((lower(note)));
