//! MySQL/MariaDB views, routines and triggers from information_schema, one set query per kind.
//! Definitions lose the database qualifier MySQL writes into them (`db`.`t`), so a view read
//! from a disposable database compares equal to the same view on the target.

use crate::schema::*;
use anyhow::{Context, Result};
use sqlx::{MySqlPool, Row};
use std::collections::HashMap;

/// Remove `` `db`. `` qualifiers of the view's own database from a definition.
pub fn unqualify(def: &str, db: &str) -> String {
    def.replace(&format!("{}.", super::ddl::q(db)), "")
}

pub async fn views(pool: &MySqlPool, list: &str) -> Result<Vec<(String, View)>> {
    let q = format!(
        "SELECT CAST(TABLE_SCHEMA AS CHAR), CAST(TABLE_NAME AS CHAR), CAST(VIEW_DEFINITION AS CHAR), CAST(CHECK_OPTION AS CHAR), CAST(SECURITY_TYPE AS CHAR) \
         FROM information_schema.VIEWS WHERE TABLE_SCHEMA {list}"
    );
    let rows = sqlx::query(&q).fetch_all(pool).await.context("inspecting views")?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let schema: String = r.get(0);
            let def: String = r.get(2);
            let check: String = r.get(3);
            let security: String = r.get(4);
            let v = View {
                name: r.get(1),
                def: unqualify(&def, &schema),
                check_option: (check != "NONE").then_some(check),
                // DEFINER is MySQL's default.
                security: (security == "INVOKER").then_some(security),
                ..Default::default()
            };
            (schema, v)
        })
        .collect())
}

pub async fn functions(pool: &MySqlPool, list: &str) -> Result<Vec<(String, Function)>> {
    let routines_q = format!(
        "SELECT CAST(ROUTINE_SCHEMA AS CHAR), CAST(ROUTINE_NAME AS CHAR), CAST(ROUTINE_TYPE AS CHAR), CAST(DTD_IDENTIFIER AS CHAR), \
           CAST(ROUTINE_DEFINITION AS CHAR), CAST(IS_DETERMINISTIC AS CHAR), CAST(SQL_DATA_ACCESS AS CHAR), CAST(SECURITY_TYPE AS CHAR), \
           CAST(ROUTINE_COMMENT AS CHAR) \
         FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA {list}"
    );
    let params_q = format!(
        "SELECT CAST(SPECIFIC_SCHEMA AS CHAR), CAST(SPECIFIC_NAME AS CHAR), CAST(ROUTINE_TYPE AS CHAR), CAST(PARAMETER_MODE AS CHAR), \
           CAST(PARAMETER_NAME AS CHAR), CAST(DTD_IDENTIFIER AS CHAR) \
         FROM information_schema.PARAMETERS WHERE SPECIFIC_SCHEMA {list} AND ORDINAL_POSITION > 0 \
         ORDER BY SPECIFIC_SCHEMA, SPECIFIC_NAME, ORDINAL_POSITION"
    );
    let (routines, params) = tokio::try_join!(
        async { sqlx::query(&routines_q).fetch_all(pool).await.context("inspecting routines") },
        async { sqlx::query(&params_q).fetch_all(pool).await.context("inspecting routine parameters") },
    )?;
    let mut args: HashMap<(String, String, String), Vec<FuncArg>> = HashMap::new();
    for r in params {
        let kind: String = r.get(2);
        let mode: Option<String> = r.get(3);
        let arg = FuncArg {
            name: r.get(4),
            ty: r.get(5),
            // Functions have only IN parameters, written without a mode.
            mode: mode.filter(|m| m != "IN" && kind == "PROCEDURE"),
            default: None,
        };
        args.entry((r.get(0), r.get(1), kind)).or_default().push(arg);
    }
    Ok(routines
        .into_iter()
        .map(|r| {
            let schema: String = r.get(0);
            let name: String = r.get(1);
            let kind_s: String = r.get(2);
            let kind = if kind_s == "PROCEDURE" { RoutineKind::Procedure } else { RoutineKind::Function };
            let access: String = r.get(6);
            let comment: String = r.get(8);
            let f = Function {
                args: args.remove(&(schema.clone(), name.clone(), kind_s)).unwrap_or_default(),
                name,
                kind,
                returns: if kind == RoutineKind::Function { r.get(3) } else { None },
                lang: "sql".into(),
                body: r.get::<Option<String>, _>(4).unwrap_or_default(),
                deterministic: r.get::<String, _>(5) == "YES",
                data_access: (access != "CONTAINS SQL").then_some(access),
                security_definer: r.get::<String, _>(7) == "DEFINER",
                comment: (!comment.is_empty()).then_some(comment),
                ..Default::default()
            };
            (schema, f)
        })
        .collect())
}

pub async fn triggers(pool: &MySqlPool, list: &str) -> Result<Vec<(String, Trigger)>> {
    let q = format!(
        "SELECT CAST(TRIGGER_SCHEMA AS CHAR), CAST(TRIGGER_NAME AS CHAR), CAST(EVENT_MANIPULATION AS CHAR), CAST(EVENT_OBJECT_TABLE AS CHAR), \
           CAST(ACTION_TIMING AS CHAR), CAST(ACTION_STATEMENT AS CHAR) \
         FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA {list} ORDER BY EVENT_OBJECT_TABLE, ACTION_ORDER"
    );
    let rows = sqlx::query(&q).fetch_all(pool).await.context("inspecting triggers")?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut t = Trigger {
                name: r.get(1),
                table: r.get(3),
                timing: r.get(4),
                events: vec![r.get(2)],
                for_each_row: true,
                body: Some(r.get(5)),
                ..Default::default()
            };
            t.def = super::objects_ddl::trigger_def(&t);
            (r.get(0), t)
        })
        .collect())
}
