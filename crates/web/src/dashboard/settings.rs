//! The site's own settings: its name and short description (see `insignia_core::identity`).

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::{Deserialize, Serialize};

use crate::blocking;
use crate::error::AppError;
use crate::extract::CurrentAdmin;
use crate::forms::Errors;
use crate::layout::Layout;
use crate::respond::{render_with, see_other};
use crate::session::{self as cookie, FlashKind};
use crate::state::AppState;
use insignia_core::identity::{self, IdentityInput};

pub const PAGE: &str = "/dashboard/settings";

#[derive(Template)]
#[template(path = "dashboard/settings.html")]
struct SettingsPage {
    layout: Layout,
    name: String,
    description: String,
    errors: Errors,
    name_max: usize,
    description_max: usize,
}

impl SettingsPage {
    fn new(layout: Layout, form: SettingsForm, errors: Errors) -> SettingsPage {
        SettingsPage {
            layout,
            name: form.name,
            description: form.description,
            errors,
            name_max: identity::NAME_MAX,
            description_max: identity::DESCRIPTION_MAX,
        }
    }
}

/// The settings form; also what a draft keeps of it across the password prompt.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct SettingsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let form = match admin.take_draft(&state.pool, req.path()).await? {
        Some(kept) => kept,
        None => {
            let current = blocking::run(&state.pool, |conn| Ok(identity::load(conn)?)).await?;
            SettingsForm {
                name: current.name,
                description: current.description,
            }
        }
    };
    let layout = Layout::new(&session, Some(&admin.0), "Site settings", req.path());
    render_with(
        StatusCode::OK,
        &SettingsPage::new(layout, form, Errors::default()),
    )
}

pub async fn save(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    form: web::Form<SettingsForm>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    admin
        .require_elevation_keeping(&state.pool, req.path(), &form)
        .await?;
    let input = IdentityInput {
        name: form.name.clone(),
        description: form.description.clone(),
    };
    match input.parse() {
        Ok(new) => {
            let (who, saved) = (admin.actor(), new.clone());
            blocking::run(&state.pool, move |conn| {
                Ok(identity::save(conn, &who, &saved)?)
            })
            .await?;
            state.identity.set(new);
            cookie::flash(&session, FlashKind::Success, "Site settings saved.");
            Ok(see_other(PAGE))
        }
        Err(problems) => {
            let mut errors = Errors::default();
            for (field, message) in problems {
                errors.add(field, message);
            }
            let layout = Layout::new(&session, Some(&admin.0), "Site settings", req.path());
            render_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &SettingsPage::new(layout, form, errors),
            )
        }
    }
}
