//! Rendering plans for people and machines: terminal tables (comfy-table), SQL, JSON, GitHub
//! markdown. Nothing here prints a URL that was not redacted.

use crate::diff::{Change, TableChange};
use crate::lint::Finding;
use crate::plan::compute::Outcome;
use crate::statement::{Blocks, Traffic, Work};
use comfy_table::{presets, ContentArrangement, Table};
use serde_json::json;

pub mod atlas_sql;
pub mod escape;

/// One row per change: (object, what happens, destructive).
pub fn change_rows(changes: &[Change]) -> Vec<(String, String, bool)> {
    let mut rows = Vec::new();
    for c in changes {
        match c {
            Change::AddSchema { schema } => rows.push((schema.name.clone(), "create schema".into(), false)),
            Change::RenameTable { schema, from, to } => rows.push((format!("{schema}.{to}"), format!("rename table (from \"{from}\")"), false)),
            Change::RenameColumn { schema, table, from, to } => rows.push((format!("{schema}.{table}.{to}"), format!("rename column (from \"{from}\")"), false)),
            Change::RenameIndex { schema, table, from, to, .. } => rows.push((format!("{schema}.{table} {to}"), format!("rename index (from \"{from}\")"), false)),
            Change::DropSchema { schema } => rows.push((schema.clone(), "drop schema".into(), true)),
            Change::AddObject { schema, object } => rows.push((format!("{schema}.{}", object.name()), format!("create {}", object.noun()), false)),
            Change::DropObject { schema, object, .. } => rows.push((format!("{schema}.{}", object.name()), format!("drop {}", object.noun()), true)),
            Change::ModifyObject { schema, from, to, .. } => rows.push((format!("{schema}.{}", to.name()), format!("modify {}", to.noun()), from.change_loses_data(to))),
            Change::AddEnum { schema, value } => rows.push((format!("{schema}.{}", value.name), "create enum type".into(), false)),
            Change::DropEnum { schema, name } => rows.push((format!("{schema}.{name}"), "drop enum type".into(), true)),
            Change::ModifySchema { to, .. } => rows.push((to.name.clone(), "change schema comment or charset".into(), false)),
            Change::ModifyEnum { schema, from, to, .. } => {
                let added: Vec<&str> = to.values.iter().filter(|v| !from.values.contains(v)).map(|s| s.as_str()).collect();
                let removed: Vec<&str> = from.values.iter().filter(|v| !to.values.contains(v)).map(|s| s.as_str()).collect();
                let what = match (added.is_empty(), removed.is_empty()) {
                    (true, true) if from.values != to.values => "reorder enum values".to_string(),
                    (true, true) => "change enum comment".to_string(),
                    _ => format!("enum values{}{}", if added.is_empty() { String::new() } else { format!(" +{}", added.join(", +")) }, if removed.is_empty() { String::new() } else { format!(" -{}", removed.join(", -")) }),
                };
                rows.push((format!("{schema}.{}", to.name), what, !removed.is_empty()))
            }
            Change::ModifyDomain { schema, to, .. } => rows.push((format!("{schema}.{}", to.name), "modify domain".into(), false)),
            Change::ModifySequence { schema, to, .. } => rows.push((format!("{schema}.{}", to.name), "modify sequence".into(), false)),
            Change::AddDomain { schema, value } => rows.push((format!("{schema}.{}", value.name), "create domain".into(), false)),
            Change::DropDomain { schema, name } => rows.push((format!("{schema}.{name}"), "drop domain".into(), true)),
            Change::AddSequence { schema, value } => rows.push((format!("{schema}.{}", value.name), "create sequence".into(), false)),
            Change::DropSequence { schema, name } => rows.push((format!("{schema}.{name}"), "drop sequence".into(), true)),
            Change::AddView { .. }
            | Change::DropView { .. }
            | Change::ModifyView { .. }
            | Change::AddFunction { .. }
            | Change::DropFunction { .. }
            | Change::ModifyFunction { .. }
            | Change::AddTrigger { .. }
            | Change::DropTrigger { .. }
            | Change::ModifyTrigger { .. } => {
                let (kind, schema, name) = c.object().expect("object change");
                rows.push((format!("{schema}.{name}"), kind.replace('_', " "), false))
            }
            Change::Grant { schema, on, grant } => rows.push((on.label(schema), format!("grant {} to {}{}", grant.privileges.join(", "), grant.grantee, if grant.grantable { " with grant option" } else { "" }), false)),
            Change::Revoke { schema, on, grant, option_only } => rows.push((on.label(schema), format!("revoke {}{} from {}", if *option_only { "grant option for " } else { "" }, grant.privileges.join(", "), grant.grantee), false)),
            Change::DefaultPrivileges { schema, value, revoke, .. } => rows.push((
                schema.clone(),
                format!("default privileges of {} on {}: {} {} {} {}", value.owner, value.on.to_ascii_lowercase(), if *revoke { "revoke" } else { "grant" }, value.privileges.join(", "), if *revoke { "from" } else { "to" }, value.grantee),
                false,
            )),
            Change::AddRole { name } => rows.push((name.clone(), "create role".into(), false)),
            Change::AddTable { schema, table } => rows.push((format!("{schema}.{}", table.name), "create table".into(), false)),
            Change::DropTable { schema, table } => rows.push((format!("{schema}.{}", table.name), "drop table".into(), true)),
            Change::ModifyTable { schema, table, changes, .. } => {
                let t = format!("{schema}.{table}");
                for tc in changes {
                    rows.push(match tc {
                        TableChange::AddColumn { column } => (format!("{t}.{}", column.name), "add column".into(), false),
                        TableChange::DropColumn { column } => (format!("{t}.{}", column.name), "drop column".into(), true),
                        TableChange::ModifyColumn { to, what, .. } => (format!("{t}.{}", to.name), format!("modify column ({})", what.join(", ")), false),
                        TableChange::AddIndex { index } => (format!("{t} {}", index.name), "add index".into(), false),
                        TableChange::DropIndex { index } => (format!("{t} {}", index.name), "drop index".into(), false),
                        TableChange::AddPrimaryKey { .. } => (t.clone(), "add primary key".into(), false),
                        TableChange::DropPrimaryKey { .. } => (t.clone(), "drop primary key".into(), false),
                        TableChange::AddForeignKey { fk } => (format!("{t} {}", fk.name), "add foreign key".into(), false),
                        TableChange::DropForeignKey { fk } => (format!("{t} {}", fk.name), "drop foreign key".into(), false),
                        TableChange::AddCheck { check } => (format!("{t} {}", check.name), "add check".into(), false),
                        TableChange::DropCheck { check } => (format!("{t} {}", check.name), "drop check".into(), false),
                        TableChange::ModifyComment { .. } => (t.clone(), "change comment".into(), false),
                        TableChange::ModifyOptions { .. } => (t.clone(), "change table options".into(), false),
                        TableChange::ModifyPartitionOf { from, to } => (
                            t.clone(),
                            match (from, to) {
                                (None, Some(of)) => format!("attach as a partition of \"{}\" ({})", of.table, of.bound),
                                (Some(of), None) => format!("detach from \"{}\"", of.table),
                                (Some(_), Some(of)) => format!("move to \"{}\" ({})", of.table, of.bound),
                                (None, None) => "partitioning".into(),
                            },
                            false,
                        ),
                        TableChange::ModifyPartitionKey { .. } => (t.clone(), "change the partition key (not possible in place)".into(), false),
                        TableChange::ModifyRowSecurity { to, .. } => (
                            t.clone(),
                            match (to.enabled, to.forced) {
                                (false, _) => "disable row-level security".into(),
                                (true, false) => "enable row-level security".into(),
                                (true, true) => "enable and force row-level security".into(),
                            },
                            false,
                        ),
                        TableChange::AddPolicy { policy } => (format!("{t} {}", policy.name), "create policy".into(), false),
                        TableChange::DropPolicy { policy } => (format!("{t} {}", policy.name), "drop policy".into(), false),
                        TableChange::ModifyPolicy { to, .. } => (format!("{t} {}", to.name), "alter policy".into(), false),
                    });
                }
            }
        }
    }
    rows
}

/// For each row of [`change_rows`], what its statements do to traffic: the heaviest of them
/// (what it blocks first, then how long), as apply will run them.
pub fn traffic_rows(plan: &crate::plan::Plan) -> Vec<Option<Traffic>> {
    let worst = |stmts: Vec<&crate::statement::Statement>| stmts.into_iter().filter_map(|s| s.traffic.clone()).max_by_key(|t| (t.blocks, t.work));
    let by_change = plan.statements_by_change();
    let mut rows = Vec::new();
    for (i, c) in plan.changes.iter().enumerate() {
        // A changed table gets a row per change of it (as the change table shows them).
        if let Change::ModifyTable { changes, .. } = c {
            for tc in changes {
                rows.push(worst(plan.naming(&by_change[i], tc.object_name())));
            }
        } else {
            rows.push(worst(by_change[i].clone()));
        }
    }
    rows
}

/// A traffic cell: empty for what holds up no one.
fn traffic_cell(t: &Option<Traffic>) -> String {
    match t {
        Some(t) if t.blocks != Blocks::Nothing || t.work != Work::Catalog => t.summary(),
        Some(t) if t.table.is_some() => format!("{} · {}", t.lock, t.work.label()),
        _ => String::new(),
    }
}

/// A table's width: `COLUMNS` when set, else the terminal's — but never so narrow that cells
/// break one character per line (a zero-width pseudo-terminal): then 120 columns. Output that
/// is no terminal (a pipe, a CI log) is not wrapped at all, as before.
fn fit(t: &mut Table) {
    const NARROWEST: u16 = 40;
    let columns = std::env::var("COLUMNS").ok().and_then(|c| c.parse::<u16>().ok()).filter(|w| *w >= NARROWEST);
    match (columns, t.width()) {
        (Some(w), _) => {
            t.set_width(w);
        }
        (None, Some(w)) if w < NARROWEST => {
            t.set_width(120);
        }
        (None, _) => {}
    }
}

/// The findings table and one line of explanation per code.
pub fn findings_text(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "lint: no findings\n".into();
    }
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED);
    t.set_content_arrangement(ContentArrangement::Dynamic);
    fit(&mut t);
    t.set_header(vec!["Code", "Severity", "Object", "Message", "Source"]);
    for f in findings {
        let sev = match &f.overridden {
            Some(r) => format!("{} (overridden: {r})", f.severity),
            None => f.severity.clone(),
        };
        let src = f.source.as_ref().map(|p| format!("{}:{}", p.file, p.line)).unwrap_or_default();
        t.add_row(vec![escape::line(&f.code), escape::line(&sev), escape::line(&f.target), escape::line(&f.msg), escape::line(&src)]);
    }
    let mut s = format!("{t}\n");
    let mut codes: Vec<&str> = findings.iter().map(|f| f.code.as_str()).collect();
    codes.sort();
    codes.dedup();
    for c in codes {
        s.push_str(&format!("  {}: {}\n", escape::line(c), escape::line(&crate::lint::policies::explain(c))));
    }
    let blocking = findings.iter().filter(|f| f.blocks()).count();
    if blocking > 0 {
        s.push_str(&format!("lint: {blocking} finding(s) deny this plan\n"));
    }
    s
}

/// Objects the model does not hold, on either side (kind, `schema.name`, where): named in every
/// output so nothing disappears silently, and never planned.
pub fn unmanaged(o: &Outcome) -> Vec<String> {
    let mut seen: std::collections::BTreeMap<(String, String, String), Vec<&str>> = Default::default();
    for (side, r) in [("target", &o.current), ("desired state", &o.desired)] {
        for s in &r.skipped {
            seen.entry((s.kind.clone(), s.schema.clone(), s.name.clone())).or_default().push(side);
        }
    }
    seen.into_iter().map(|((kind, schema, name), sides)| format!("{kind} {schema}.{name} ({})", sides.join(" and "))).collect()
}

/// The unmanaged objects as text lines after `prefix` (empty when there are none).
fn unmanaged_block(o: &Outcome, prefix: &str) -> String {
    let list = unmanaged(o);
    if list.is_empty() {
        return String::new();
    }
    let mut s = format!("{prefix}not managed by schemagate, left untouched by this plan ({}):\n", list.len());
    for u in list {
        s.push_str(&format!("{prefix}  - {}\n", escape::line(&u)));
    }
    s
}

pub fn text(o: &Outcome, findings: &[Finding]) -> String {
    if o.plan.is_empty() {
        return format!("Schema is synced, no changes to be made\n{}", unmanaged_block(o, ""));
    }
    let mut s = format!("{}\n\n", change_table(o));
    s.push_str(&sql(o));
    s.push('\n');
    s.push_str(&summary(o, findings));
    s
}

/// Hash, verification, what is not managed, and the lint findings.
fn summary(o: &Outcome, findings: &[Finding]) -> String {
    let mut s = format!("plan hash: {}\n", o.plan.hash);
    s.push_str(&verification(o));
    s.push_str(&unmanaged_block(o, ""));
    s.push('\n');
    s.push_str(&findings_text(findings));
    s
}

/// Beside Atlas's stdout (`--format atlas`): what this tool reports that Atlas does not print
/// (the changes with their locks, the hash, the verification, objects not managed, lint), for
/// stderr. Only what is not managed when there is nothing to change.
pub fn side_report(o: &Outcome, findings: &[Finding]) -> String {
    if o.plan.is_empty() {
        return unmanaged_block(o, "");
    }
    format!("{}\n{}", change_table(o), summary(o, findings))
}

/// The changes, whether each is destructive, and the locks each takes.
fn change_table(o: &Outcome) -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED);
    t.set_content_arrangement(ContentArrangement::Dynamic);
    fit(&mut t);
    t.set_header(vec!["Object", "Change", "Destructive", "Locks (blocks, work)"]);
    for ((obj, ch, d), tr) in change_rows(&o.plan.changes).into_iter().zip(traffic_rows(&o.plan)) {
        t.add_row(vec![escape::line(&obj), escape::line(&ch), if d { "yes".into() } else { String::new() }, traffic_cell(&tr)]);
    }
    t
}

pub fn verification(o: &Outcome) -> String {
    match o.verified {
        Some(true) => "verified: rehearsed on a disposable database, the result matches the desired schema\n".into(),
        Some(false) => {
            let mut s = String::from("UNVERIFIED: after rehearsing the plan, these differences remain:\n");
            for (obj, ch, _) in change_rows(&o.residual) {
                s.push_str(&format!("  - {}: {}\n", escape::line(&obj), escape::line(&ch)));
            }
            s
        }
        None => String::new(),
    }
}

/// The plan as a script for the engine's own client, safe to hand to a DBA: PostgreSQL gets the
/// apply's lock and statement timeouts, the transactional statements between BEGIN and COMMIT,
/// and the steps that cannot run in a transaction (CONCURRENTLY, validations) after it, as
/// apply runs them; MySQL gets its lock wait.
pub fn sql(o: &Outcome) -> String {
    let mut s = unmanaged_block(o, "-- ");
    let d = o.plan.dialect;
    let stmts = &o.plan.statements;
    if stmts.is_empty() {
        return s;
    }
    let t = crate::apply::traffic::Traffic::default();
    let e = crate::engine::of(d);
    let comment = |st: &crate::plan::Statement| format!("-- {}\n", escape::line(&st.comment));
    // The session limits apply sets, then the statements in apply's order: the steps before
    // the transaction, the transaction, the steps after it.
    for set in e.script_limits(t.lock_timeout, t.statement_timeout) {
        s.push_str(&format!("{set};\n"));
    }
    let emit = |s: &mut String, st: &crate::plan::Statement| {
        // A name may hold a newline: the comment stays one line, so the next line of the
        // script is always the statement.
        s.push_str(&comment(st));
        s.push_str(&e.script_statement(&st.sql));
    };
    if e.discipline() == crate::engine::Discipline::Transaction {
        for st in stmts.iter().filter(|st| st.before_tx) {
            emit(&mut s, st);
        }
        let (tx, after): (Vec<_>, Vec<_>) = stmts.iter().filter(|st| !st.before_tx).partition(|st| !st.no_tx);
        if !tx.is_empty() {
            s.push_str("BEGIN;\n");
            for st in tx {
                emit(&mut s, st);
            }
            s.push_str("COMMIT;\n");
        }
        for st in after {
            emit(&mut s, st);
        }
    } else {
        for st in stmts {
            emit(&mut s, st);
        }
    }
    s
}

pub fn json(o: &Outcome, findings: &[Finding]) -> String {
    let v = json!({
        "hash": o.plan.hash,
        "current_hash": o.plan.current_hash,
        "desired_hash": o.plan.desired_hash,
        "dialect": o.plan.dialect,
        "changes": o.plan.changes,
        "statements": o.plan.statements,
        "verified": o.verified,
        "residual": o.residual,
        "findings": findings,
        "denied": findings.iter().any(|f| f.blocks()),
        "unmanaged": unmanaged(o),
    });
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

/// GitHub-flavoured markdown. Every name and message goes through [`escape`]: no byte of it can
/// end a table cell, a code span or the SQL fence, or open an HTML comment.
pub fn markdown(o: &Outcome, findings: &[Finding]) -> String {
    let esc = escape::md_text;
    let unmanaged: String = {
        let list = unmanaged(o);
        if list.is_empty() {
            String::new()
        } else {
            format!("\n**Not managed by schemagate, left untouched** ({}): {}\n", list.len(), list.iter().map(|u| esc(u)).collect::<Vec<_>>().join(" · "))
        }
    };
    if o.plan.is_empty() {
        return format!("**Schema is synced**, no changes to be made.\n{unmanaged}");
    }
    let mut s = String::from("| Object | Change | Destructive | Locks |\n|---|---|---|---|\n");
    for ((obj, ch, d), tr) in change_rows(&o.plan.changes).into_iter().zip(traffic_rows(&o.plan)) {
        s.push_str(&format!("| {} | {} | {} | {} |\n", escape::md_code(&obj), esc(&ch), if d { "⚠️ yes" } else { "" }, esc(&traffic_cell(&tr))));
    }
    s.push_str("\n<details><summary>SQL</summary>\n\n");
    s.push_str(&escape::md_fence("sql", &sql(o)));
    s.push_str("</details>\n\n");
    s.push_str(&format!("Plan hash: `{}`\n", o.plan.hash));
    s.push_str(&unmanaged);
    if !findings.is_empty() {
        s.push_str("\n| Code | Severity | Object | Message |\n|---|---|---|---|\n");
        for f in findings {
            let sev = match &f.overridden {
                Some(r) => format!("{} (overridden: {})", f.severity, esc(r)),
                None if f.severity == "error" => "❌ error".into(),
                None => "⚠️ warning".into(),
            };
            s.push_str(&format!("| {} | {} | {} | {} |\n", esc(&f.code), sev, escape::md_code(&f.target), esc(&f.msg)));
        }
    }
    s
}

/// A Mermaid `erDiagram` of `tables` (schema, name) and their foreign-key neighbours, with
/// added and dropped columns marked — GitHub renders it in the PR comment.
pub fn mermaid(realm: &crate::schema::Realm, focus: Option<&std::collections::BTreeSet<(String, String)>>, added: &std::collections::BTreeSet<(String, String, String)>, dropped: &[(String, String, String, String)]) -> String {
    use std::collections::BTreeSet;
    let id = |s: &str, t: &str| {
        let raw = if s == "public" || s == "main" { t.to_string() } else { format!("{s}_{t}") };
        raw.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect::<String>()
    };
    let word = |s: &str| s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect::<String>();
    let mut shown: BTreeSet<(String, String)> = BTreeSet::new();
    for s in &realm.schemas {
        for t in &s.tables {
            let key = (s.name.clone(), t.name.clone());
            let in_focus = focus.is_none_or(|f| f.contains(&key));
            let neighbour = focus.is_some_and(|f| t.foreign_keys.iter().any(|fk| f.contains(&(fk.ref_schema.clone(), fk.ref_table.clone()))) || f.iter().any(|(fs, ft)| realm.table(fs, ft).is_some_and(|x| x.foreign_keys.iter().any(|fk| fk.ref_schema == s.name && fk.ref_table == t.name))));
            if in_focus || neighbour {
                shown.insert(key);
            }
        }
    }
    let mut out = String::from("erDiagram\n");
    for (s, t) in &shown {
        let Some(table) = realm.table(s, t) else { continue };
        out.push_str(&format!("  {} {{\n", id(s, t)));
        for c in &table.columns {
            let pk = table.primary_key.as_ref().is_some_and(|p| p.columns.contains(&c.name));
            let fk = table.foreign_keys.iter().any(|f| f.columns.contains(&c.name));
            let keys = match (pk, fk) {
                (true, true) => " PK,FK",
                (true, false) => " PK",
                (false, true) => " FK",
                _ => "",
            };
            let note = if added.contains(&(s.clone(), t.clone(), c.name.clone())) { " \"added\"" } else { "" };
            let ty = c.ty.split('(').next().unwrap_or(&c.ty);
            out.push_str(&format!("    {} {}{keys}{note}\n", word(ty), word(&c.name)));
        }
        for (ds, dt, dc, dty) in dropped {
            if ds == s && dt == t {
                out.push_str(&format!("    {} {} \"dropped\"\n", word(dty.split('(').next().unwrap_or(dty)), word(dc)));
            }
        }
        out.push_str("  }\n");
    }
    for (s, t) in &shown {
        let Some(table) = realm.table(s, t) else { continue };
        for fk in &table.foreign_keys {
            if shown.contains(&(fk.ref_schema.clone(), fk.ref_table.clone())) {
                let nullable = fk.columns.iter().any(|c| table.column(c).is_some_and(|x| x.null));
                let card = if nullable { "|o--o{" } else { "||--o{" };
                out.push_str(&format!("  {} {card} {} : \"{}\"\n", id(&fk.ref_schema, &fk.ref_table), id(s, t), word(&fk.name)));
            }
        }
    }
    out
}

/// The diagram of what a plan touches: its tables, their neighbours, added/dropped columns.
pub fn plan_mermaid(o: &Outcome) -> Option<String> {
    use std::collections::BTreeSet;
    let mut focus = BTreeSet::new();
    let mut added = BTreeSet::new();
    let mut dropped = Vec::new();
    for c in &o.plan.changes {
        if let Change::AddTable { schema, table } = c {
            focus.insert((schema.clone(), table.name.clone()));
            for col in &table.columns {
                added.insert((schema.clone(), table.name.clone(), col.name.clone()));
            }
        }
        // The diagram marks added and dropped columns; other changes show the table as it is.
        if let Change::ModifyTable { schema, table, changes, .. } = c {
            focus.insert((schema.clone(), table.clone()));
            for tc in changes {
                if let TableChange::AddColumn { column } = tc {
                    added.insert((schema.clone(), table.clone(), column.name.clone()));
                }
                if let TableChange::DropColumn { column } = tc {
                    dropped.push((schema.clone(), table.clone(), column.name.clone(), column.ty.clone()));
                }
            }
        }
    }
    if focus.is_empty() {
        return None;
    }
    Some(mermaid(&o.desired, Some(&focus), &added, &dropped))
}
