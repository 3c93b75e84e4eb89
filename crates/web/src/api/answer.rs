//! What every API operation does around its domain call: run it off the request threads, and
//! answer 200 with its JSON.

use actix_web::HttpResponse;

use super::error::ApiError;
use crate::state::AppState;
use insignia_core::db::DbConnection;

/// Runs a blocking domain call on the database pool.
pub async fn db<T, F>(state: &AppState, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
{
    crate::blocking::run_as(&state.pool, f).await
}

pub fn ok<T: serde::Serialize>(body: T) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(body))
}
