//! The one place handlers leave the request threads: database work (and the slow password
//! check) runs on actix's blocking pool, each call with a pooled connection of its own.

use crate::error::AppError;
use insignia_core::db::{DbConnection, DbPool, stats};

/// Runs a blocking database closure on the blocking thread pool.
pub async fn run<T, F>(pool: &DbPool, f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
{
    run_as(pool, f).await
}

/// [`run`] for a closure that answers with another error of the web's (the API's).
pub async fn run_as<T, E, F>(pool: &DbPool, f: F) -> Result<T, E>
where
    T: Send + 'static,
    E: From<AppError> + Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = insignia_core::db::checkout(&pool, stats::Caller::Request)
            .map_err(|e| E::from(AppError::internal(e)))?;
        f(&mut conn)
    })
    .await
    .map_err(|e| E::from(AppError::internal(e)))?
}

/// Runs blocking work that needs no connection (argon2) on the same pool.
pub async fn compute<T, F>(f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    actix_web::web::block(f).await.map_err(AppError::internal)
}
