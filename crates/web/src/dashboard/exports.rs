//! CSV downloads for a signed-in admin: all members, a badge's holders, the audit log. Each
//! download is audited before its first byte, then streamed page by page.

use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use futures_util::{StreamExt, stream};
use serde::Deserialize;

use crate::blocking;
use crate::error::AppError;
use crate::extract::CurrentAdmin;
use crate::state::AppState;
use insignia_core::audit::{self, Change};
use insignia_core::badges::store as badge_store;
use insignia_core::db::{self, DbPool};
use insignia_core::exports::{Export, Kind};
use insignia_core::ids::BadgeId;
use insignia_core::reports;

pub async fn members(
    state: web::Data<AppState>,
    admin: CurrentAdmin,
) -> Result<HttpResponse, AppError> {
    download(&state.pool, &admin, |_| Ok(Kind::Members)).await
}

pub async fn holders(
    state: web::Data<AppState>,
    admin: CurrentAdmin,
    path: web::Path<BadgeId>,
) -> Result<HttpResponse, AppError> {
    let id = BadgeId::from(path.as_str().replace(char::is_control, "\u{FFFD}"));
    download(&state.pool, &admin, move |conn| {
        let badge = badge_store::find(conn, &id)?;
        Ok(Kind::Holders(Box::new(badge)))
    })
    .await
}

#[derive(Deserialize)]
pub struct AuditQuery {
    badge: Option<String>,
    member: Option<String>,
}

/// The log as its page shows it: the same badge and member filters, every page of it.
pub async fn audit(
    state: web::Data<AppState>,
    admin: CurrentAdmin,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let AuditQuery { badge, member } = query.into_inner();
    let filter = audit::Filter {
        badge: super::audit::id_filter(badge),
        member: super::audit::id_filter(member),
        before: None,
    };
    download(&state.pool, &admin, move |_| Ok(Kind::Audit(filter))).await
}

/// Records the download, then answers with the header line and streams the rows: each page
/// is read on the blocking pool and sent before the next is read.
async fn download(
    pool: &DbPool,
    admin: &CurrentAdmin,
    kind: impl FnOnce(&mut db::DbConnection) -> Result<Kind, AppError> + Send + 'static,
) -> Result<HttpResponse, AppError> {
    let actor = admin.actor();
    let export = blocking::run(pool, move |conn| {
        let kind = kind(conn)?;
        let export = Export::new(conn, kind)?;
        let badge_id = export.badge_id().map(BadgeId::from);
        db::write(conn, |conn| {
            audit::record(
                conn,
                &actor,
                Change {
                    action: "export.csv",
                    badge_id: badge_id.as_ref(),
                    target: &export.description(),
                    ..Change::default()
                },
            )
        })?;
        Ok(export)
    })
    .await?;
    let file_name = export.file_name();
    let header = reports::csv_bytes(Some(export.header()), std::iter::empty())?;
    let pool = pool.clone();
    let rows = stream::unfold(Some(export), move |export| {
        let pool = pool.clone();
        async move {
            let mut export = export?;
            let page = blocking::run(&pool, move |conn| {
                let rows = export.next_page(conn)?;
                Ok(rows.map(|rows| (rows, export)))
            })
            .await;
            match page {
                Ok(Some((rows, export))) => Some((
                    reports::csv_bytes(None, rows.into_iter())
                        .map(Bytes::from)
                        .map_err(AppError::from),
                    Some(export),
                )),
                Ok(None) => None,
                // The answer is cut short, so the download fails rather than looking whole.
                Err(e) => {
                    tracing::error!(error = %e, "export stopped");
                    Some((Err(e), None))
                }
            }
        }
    });
    let body = stream::iter([Ok::<_, AppError>(Bytes::from(header))]).chain(rows);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(file_name)],
        })
        .insert_header(("Cache-Control", "no-store"))
        .streaming(body))
}
