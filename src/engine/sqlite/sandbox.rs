//! SQLite has no server and no principals: a disposable database is private memory. What can
//! reach beyond it is a statement that opens another file: `ATTACH 'path'` (which creates the file)
//! and `VACUUM INTO 'path'` (which attaches internally). Every SQLite connection schemagate opens
//! allows no attached database: schemagate itself never attaches one.

use anyhow::Result;

/// Allow no attached databases on this connection (SQLITE_LIMIT_ATTACHED = 0).
pub async fn seal(conn: &mut sqlx::SqliteConnection) -> Result<()> {
    let mut handle = conn.lock_handle().await?;
    // SAFETY: the handle is a live connection held locked for the duration of the call;
    // sqlite3_limit only reads and sets a per-connection integer.
    unsafe {
        libsqlite3_sys::sqlite3_limit(handle.as_raw_handle().as_ptr(), libsqlite3_sys::SQLITE_LIMIT_ATTACHED, 0);
    }
    Ok(())
}
