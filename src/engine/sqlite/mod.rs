//! SQLite: inspection through sqlite_schema and the pragma table-valued functions, and DDL.
pub mod bookkeeping;
pub mod ddl;
pub mod engine;
pub mod inspect;
pub mod kinds;
pub mod lossy;
pub mod objects;
pub mod sandbox;
pub mod session;
pub mod traffic;
pub mod types;
