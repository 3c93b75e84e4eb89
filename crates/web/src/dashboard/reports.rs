//! Downloading the full report of a bulk change or import (kept for a day, for the admin
//! who made it), or only its lines that need attention.

use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpResponse, web};

use crate::blocking;
use crate::error::AppError;
use crate::extract::CurrentAdmin;
use crate::state::AppState;
use insignia_core::reports;

#[derive(serde::Deserialize)]
pub struct DownloadQuery {
    /// `attention`: only the lines that need attention, to fix and paste alone.
    #[serde(default)]
    lines: String,
}

pub async fn download(
    state: web::Data<AppState>,
    admin: CurrentAdmin,
    path: web::Path<String>,
    query: web::Query<DownloadQuery>,
) -> Result<HttpResponse, AppError> {
    let (admin_id, id) = (admin.0.admin_id.clone(), path.into_inner());
    let report = blocking::run(&state.pool, move |conn| {
        Ok(reports::find_any(conn, &admin_id, &id)?)
    })
    .await?
    .ok_or(AppError::NotFound)?;
    let (name, body) = if query.lines == "attention" {
        (report.attention_file_name(), report.attention)
    } else {
        (report.file_name(), report.csv)
    };
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(name)],
        })
        .body(body))
}
