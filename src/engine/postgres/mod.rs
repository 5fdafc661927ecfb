//! PostgreSQL: catalog inspection, DDL generation and canonical type spellings.
pub mod bookkeeping;
pub mod ddl;
pub mod engine;
pub mod inspect;
pub mod kinds;
pub mod lossy;
pub mod objects_ddl;
pub mod objects_inspect;
pub mod online;
pub mod privileges;
pub mod sandbox;
pub mod session;
pub mod traffic;
pub mod types;
