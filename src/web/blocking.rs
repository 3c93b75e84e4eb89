//! The one place handlers leave the request threads: database work (and the slow password
//! check) runs on actix's blocking pool, each call with a pooled connection of its own.

use crate::db::{DbConnection, DbPool};
use crate::error::AppError;

/// Runs a blocking database closure on the blocking thread pool.
pub async fn run<T, F>(pool: &DbPool, f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get().map_err(AppError::internal)?;
        f(&mut conn)
    })
    .await
    .map_err(AppError::internal)?
}

/// Runs blocking work that needs no connection (argon2) on the same pool.
pub async fn compute<T, F>(f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    actix_web::web::block(f).await.map_err(AppError::internal)
}
