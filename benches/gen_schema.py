#!/usr/bin/env python3
"""Deterministic synthetic schema for benchmarks (the shape the issue measured peers on):
N tables, each with 9 columns, a CHECK, a foreign key to the previous table, a plain index and a
unique partial expression index. Prints SQL (default) or Atlas HCL (--hcl).

usage: gen_schema.py N [--hcl] [--change PCT] [--sqlite]
--change PCT alters PCT percent of the tables (every k-th table gets an extra column), for
"plan with 1% of tables changed" runs. --sqlite prints the same shape as SQLite SQL (its types,
the foreign key inside CREATE TABLE), for the 10,000-table plan that needs no server.
"""
import random
import sys

def main():
    args = sys.argv[1:]
    n = int(args[0]) if args else 1000
    hcl = "--hcl" in args
    sqlite = "--sqlite" in args
    change = 0.0
    if "--change" in args:
        change = float(args[args.index("--change") + 1])
    rnd = random.Random(42)
    every = int(100 / change) if change > 0 else 0
    out = []
    if hcl:
        out.append('schema "public" {}\n')
    for i in range(1, n + 1):
        t = f"t{i:05d}"
        extra = every and i % every == 0
        width = rnd.choice([32, 64, 128])
        if hcl:
            out.append(f'table "{t}" {{\n  schema = schema.public')
            cols = [
                ("id", "bigint", None, False),
                ("name", f"varchar({width})", None, False),
                ("email", "text", None, True),
                ("amount", "numeric(10,2)", "0", False),
                ("active", "boolean", "true", False),
                ("created_at", "timestamptz", 'sql("now()")', False),
                ("parent_id", "bigint", None, True),
                ("payload", "jsonb", None, True),
                ("code", "integer", None, True),
            ]
            if extra:
                cols.append(("added", "text", None, True))
            for name, ty, default, null in cols:
                out.append(f'  column "{name}" {{\n    type = {ty}\n    null = {"true" if null else "false"}')
                if default:
                    out.append(f"    default = {default}")
                out.append("  }")
            out.append('  primary_key {\n    columns = [column.id]\n  }')
            if i > 1:
                out.append(f'  foreign_key "{t}_parent_fk" {{\n    columns = [column.parent_id]\n    ref_columns = [table.t{i-1:05d}.column.id]\n    on_delete = SET_NULL\n  }}')
            out.append(f'  check "{t}_amount_check" {{\n    expr = "(amount >= (0)::numeric)"\n  }}')
            out.append(f'  index "{t}_name_idx" {{\n    columns = [column.name]\n  }}')
            out.append(f'  index "{t}_email_key" {{\n    unique = true\n    on {{\n      expr = "lower(email)"\n    }}\n    where = "(active = true)"\n  }}')
            out.append("}\n")
        elif sqlite:
            cols = [
                "id integer NOT NULL PRIMARY KEY",
                f"name varchar({width}) NOT NULL",
                "email text",
                "amount numeric(10,2) NOT NULL DEFAULT 0",
                "active boolean NOT NULL DEFAULT 1",
                "created_at text NOT NULL DEFAULT CURRENT_TIMESTAMP",
                "parent_id integer" + (f" REFERENCES t{i-1:05d}(id) ON DELETE SET NULL" if i > 1 else ""),
                "payload text",
                "code integer",
            ]
            if extra:
                cols.append("added text")
            out.append(f"CREATE TABLE {t} (\n  " + ",\n  ".join(cols) + ",\n  CHECK (amount >= 0)\n);")
            out.append(f"CREATE INDEX {t}_name_idx ON {t} (name);")
            out.append(f"CREATE UNIQUE INDEX {t}_email_key ON {t} (lower(email)) WHERE active;")
        else:
            cols = [
                "id bigint NOT NULL PRIMARY KEY",
                f"name varchar({width}) NOT NULL",
                "email text",
                "amount numeric(10,2) NOT NULL DEFAULT 0",
                "active boolean NOT NULL DEFAULT true",
                "created_at timestamptz NOT NULL DEFAULT now()",
                "parent_id bigint",
                "payload jsonb",
                "code integer",
            ]
            if extra:
                cols.append("added text")
            out.append(f"CREATE TABLE {t} (\n  " + ",\n  ".join(cols) + f",\n  CONSTRAINT {t}_amount_check CHECK (amount >= 0)\n);")
            if i > 1:
                out.append(f"ALTER TABLE {t} ADD CONSTRAINT {t}_parent_fk FOREIGN KEY (parent_id) REFERENCES t{i-1:05d}(id) ON DELETE SET NULL;")
            out.append(f"CREATE INDEX {t}_name_idx ON {t} (name);")
            out.append(f"CREATE UNIQUE INDEX {t}_email_key ON {t} (lower(email)) WHERE active;")
    print("\n".join(out))

main()
