//! The online form of a MySQL/MariaDB plan: every ALTER TABLE of a table that exists says the
//! algorithm it expects (`ALGORITHM=INSTANT`, else `ALGORITHM=INPLACE, LOCK=NONE`, else
//! `ALGORITHM=COPY, LOCK=SHARED`), so the server refuses rather than silently copying a table
//! under a lock. The prediction (`traffic::predict`) is proven by the rehearsal: a clause the
//! disposable server refuses is weakened one step there (`weaken`), and the plan says so.

use super::traffic::{predict, Algorithm};
use crate::diff::Change;
use crate::engine::interface::Online;
use crate::engine::sql_text::alter_table;
use crate::statement::Statement;

pub fn apply(changes: &[Change], statements: Vec<Statement>, o: Online) -> Vec<Statement> {
    if !(o.add || o.drop || o.constraints) {
        return statements;
    }
    statements
        .into_iter()
        .map(|mut s| {
            let change = s.change.and_then(|i| changes.get(i));
            if !matches!(change, Some(Change::ModifyTable { .. })) || Algorithm::of_clause(&s.sql).is_some() {
                return s;
            }
            if let Some((_, rest)) = alter_table(&s.sql) {
                let (algo, _) = predict(change, rest);
                s.sql = format!("{}, {}", s.sql, algo.clause());
            }
            s
        })
        .collect()
}

/// The statement with the next weaker algorithm, where it asks for one: INSTANT → INPLACE with
/// concurrent reads and writes → COPY with reads only.
pub fn weaken(sql: &str) -> Option<String> {
    let from = Algorithm::of_clause(sql)?;
    let to = match from {
        Algorithm::Instant => Algorithm::Inplace,
        Algorithm::Inplace => Algorithm::Copy,
        Algorithm::Copy => return None,
    };
    Some(format!("{}{}", &sql[..sql.len() - from.clause().len()], to.clause()))
}

/// The server's refusal of an online clause (ER_ALTER_OPERATION_NOT_SUPPORTED[_REASON]).
pub fn refused_online(error: &str) -> bool {
    (error.contains("1845") || error.contains("1846")) || (error.contains("is not supported") && (error.contains("ALGORITHM=") || error.contains("LOCK=")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_weaken_one_step_at_a_time() {
        let s = "ALTER TABLE `a`.`t` ADD COLUMN `x` int NULL, ALGORITHM=INSTANT";
        let w = weaken(s).unwrap();
        assert_eq!(w, "ALTER TABLE `a`.`t` ADD COLUMN `x` int NULL, ALGORITHM=INPLACE, LOCK=NONE");
        assert_eq!(weaken(&w).unwrap(), "ALTER TABLE `a`.`t` ADD COLUMN `x` int NULL, ALGORITHM=COPY, LOCK=SHARED");
        assert_eq!(weaken(&weaken(&w).unwrap()), None);
        assert_eq!(weaken("ALTER TABLE t ADD COLUMN x int"), None);
        assert!(refused_online("error returned from database: 1846 (0A000): LOCK=NONE is not supported. Reason: COPY algorithm requires a lock. Try LOCK=SHARED"));
        assert!(!refused_online("1062 (23000): Duplicate entry"));
    }
}
