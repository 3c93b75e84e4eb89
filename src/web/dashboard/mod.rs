//! The site owner's dashboard under `/dashboard`.

pub mod admins;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod badges;
pub mod exports;
pub mod holders;
pub mod members;
pub mod pages;
pub mod reports;
pub mod webhooks;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/dashboard")
            .route("", web::get().to(auth::home))
            .route("/", web::get().to(auth::home))
            .service(
                web::resource("/setup")
                    .get(auth::setup_form)
                    .post(auth::setup),
            )
            .service(
                web::resource("/login")
                    .get(auth::login_form)
                    .post(auth::login),
            )
            .route("/logout", web::post().to(auth::logout))
            .service(
                web::resource("/elevate")
                    .get(auth::elevate_form)
                    .post(auth::elevate),
            )
            .route("/elevate/end", web::post().to(auth::end_elevation))
            .service(
                web::resource("/account")
                    .get(auth::account)
                    .post(auth::change_password),
            )
            .route("/badges", web::get().to(badges::list))
            .service(
                web::resource("/badges/new")
                    .get(badges::new_form)
                    .post(badges::create),
            )
            .route("/badges/order", web::post().to(badges::reorder))
            .route("/badges/preview", web::post().to(badges::preview))
            .route("/badges/{id}", web::get().to(holders::show))
            .route("/badges/{id}/holders.csv", web::get().to(exports::holders))
            .route("/badges/{id}/members", web::post().to(holders::assign))
            .route(
                "/badges/{id}/members/search",
                web::get().to(holders::picker_search),
            )
            .route(
                "/badges/{id}/members/remove",
                web::post().to(holders::unassign),
            )
            .service(
                web::resource("/badges/{id}/edit")
                    .get(badges::edit_form)
                    .post(badges::update),
            )
            .service(
                web::resource("/badges/{id}/delete")
                    .get(badges::delete_confirm)
                    .post(badges::delete),
            )
            .route("/badges/{id}/move", web::post().to(badges::move_one))
            .route("/members", web::get().to(members::directory))
            .route("/members/export.csv", web::get().to(exports::members))
            .service(
                web::resource("/members/new")
                    .get(members::new_form)
                    .post(members::create),
            )
            .service(
                web::resource("/members/import")
                    .get(members::import_form)
                    .post(members::import),
            )
            .route("/members/{id}", web::get().to(members::show))
            .service(
                web::resource("/members/{id}/edit")
                    .get(members::edit_form)
                    .post(members::update),
            )
            .route("/members/{id}/badges", web::post().to(members::add_badges))
            .route(
                "/members/{id}/badges/remove",
                web::post().to(members::remove_badges),
            )
            .service(
                web::resource("/members/{id}/delete")
                    .get(members::delete_confirm)
                    .post(members::delete),
            )
            .route(
                "/members/{id}/password-link",
                web::post().to(members::password_link),
            )
            .service(
                web::resource("/badges/{id}/permissions")
                    .get(pages::permissions)
                    .post(pages::save_permissions),
            )
            .route("/pages", web::get().to(pages::list))
            .service(
                web::resource("/pages/new")
                    .get(pages::new_form)
                    .post(pages::create),
            )
            .service(
                web::resource("/pages/{id}/edit")
                    .get(pages::edit_form)
                    .post(pages::update),
            )
            .service(
                web::resource("/pages/{id}/delete")
                    .get(pages::delete_confirm)
                    .post(pages::delete),
            )
            .service(
                web::resource("/api-keys")
                    .get(api_keys::list)
                    .post(api_keys::create),
            )
            .service(
                web::resource("/api-keys/{id}/revoke")
                    .get(api_keys::revoke_confirm)
                    .post(api_keys::revoke),
            )
            .service(
                web::resource("/webhooks")
                    .get(webhooks::list)
                    .post(webhooks::create),
            )
            .service(
                web::resource("/webhooks/{id}")
                    .get(webhooks::show)
                    .post(webhooks::update),
            )
            .route("/webhooks/{id}/delete", web::post().to(webhooks::delete))
            .route("/webhooks/{id}/rotate", web::post().to(webhooks::rotate))
            .route("/webhooks/{id}/test", web::post().to(webhooks::test))
            .route(
                "/webhooks/{id}/redeliver",
                web::post().to(webhooks::redeliver),
            )
            .service(web::resource("/admins").get(admins::list).post(admins::add))
            .service(
                web::resource("/admins/{id}/remove")
                    .get(admins::remove_confirm)
                    .post(admins::remove),
            )
            .service(
                web::resource("/set-password/{token}")
                    .get(admins::set_password_form)
                    .post(admins::set_password),
            )
            .route("/audit", web::get().to(audit::list))
            .route("/audit/export.csv", web::get().to(exports::audit))
            .route("/reports/{id}", web::get().to(reports::download)),
    );
}
