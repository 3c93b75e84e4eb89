//! Downloading the full report of a bulk change or import (kept for a day, for the admin
//! who made it).

use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpResponse, web};

use crate::blocking;
use crate::error::AppError;
use crate::extract::CurrentAdmin;
use crate::state::AppState;
use insignia_core::reports;

pub async fn download(
    state: web::Data<AppState>,
    admin: CurrentAdmin,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (admin_id, id) = (admin.0.admin_id.clone(), path.into_inner());
    let report = blocking::run(&state.pool, move |conn| {
        Ok(reports::find_any(conn, &admin_id, &id)?)
    })
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(report.file_name())],
        })
        .body(report.csv))
}
