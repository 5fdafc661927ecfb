-- The catalog queries a complete PostgreSQL inspection needs (columns with types and defaults,
-- indexes through pg_get_indexdef per key, constraints through pg_get_constraintdef; views,
-- routines and triggers through their pg_get_*def; privileges through aclexplode; roles), as
-- schemagate's inspector runs them, for the side-by-side in compare.sh.
\o /dev/null
SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(ad.adbin, ad.adrelid), a.attidentity, a.attgenerated, col_description(c.oid, a.attnum)
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
 WHERE c.relkind IN ('r','p') AND a.attnum > 0 AND NOT a.attisdropped AND n.nspname = 'public'
 ORDER BY n.nspname, c.relname, a.attnum;
SELECT n.nspname, c.relname, ic.relname, i.indisunique, am.amname, pg_get_expr(i.indpred, i.indrelid),
       ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) k ORDER BY k)
  FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am am ON am.oid = ic.relam
 WHERE c.relkind IN ('r','p') AND n.nspname = 'public';
SELECT n.nspname, c.relname, con.conname, con.contype, pg_get_constraintdef(con.oid, true)
  FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE con.contype IN ('p','f','c','u') AND n.nspname = 'public';
SELECT n.nspname, c.relname, obj_description(c.oid, 'pg_class')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r','p') AND n.nspname = 'public';
SELECT n.nspname, c.relname, pg_get_viewdef(c.oid)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('v','m') AND n.nspname = 'public';
SELECT n.nspname, p.proname, pg_get_function_result(p.oid), p.prosrc
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public';
SELECT n.nspname, c.relname, t.tgname, pg_get_triggerdef(t.oid)
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE NOT t.tgisinternal AND n.nspname = 'public';
SELECT c.relname, a.grantee, a.privilege_type
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace CROSS JOIN LATERAL aclexplode(c.relacl) a
 WHERE c.relacl IS NOT NULL AND n.nspname = 'public';
SELECT c.relname, att.attname, a.grantee, a.privilege_type
  FROM pg_attribute att JOIN pg_class c ON c.oid = att.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  CROSS JOIN LATERAL aclexplode(att.attacl) a WHERE att.attacl IS NOT NULL AND n.nspname = 'public';
SELECT d.defaclobjtype, a.grantee, a.privilege_type FROM pg_default_acl d CROSS JOIN LATERAL aclexplode(d.defaclacl) a;
SELECT rolname FROM pg_roles;
