//! MySQL / MariaDB: information_schema inspection, DDL generation and canonical type spellings.
pub mod ddl;
pub mod inspect;
pub mod types;
