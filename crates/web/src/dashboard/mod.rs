//! The site owner's dashboard under `/dashboard`.

pub mod admins;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod badges;
pub mod confirm;
pub mod exports;
pub mod holders;
pub mod invitations;
pub mod jobs;
pub mod mail;
pub mod members;
pub mod pages;
pub mod reports;
pub mod rule;
pub mod settings;
pub mod undo;
pub mod webhooks;

use super::routes::Routes;

pub fn configure(routes: &mut Routes) {
    routes.under("/dashboard", |routes| {
        routes
            .at("", |p| p.get(auth::home))
            .at("/", |p| p.get(auth::home))
            .at("/setup", |p| p.get(auth::setup_form).post(auth::setup))
            .at("/login", |p| p.get(auth::login_form).post(auth::login))
            .at("/forgot-password", |p| {
                p.get(crate::resets::admin_form)
                    .post(crate::resets::admin_request)
            })
            .at("/mail", |p| p.get(mail::log))
            .at("/mail/{id}/send-again", |p| p.post(mail::send_again))
            .at("/logout", |p| p.post(auth::logout))
            .at("/elevate", |p| {
                p.get(auth::elevate_form).post(auth::elevate)
            })
            .at("/elevate/end", |p| p.post(auth::end_elevation))
            .at("/account", |p| {
                p.get(auth::account).post(auth::change_password)
            })
            .at("/badges", |p| p.get(badges::list))
            .at("/badges/new", |p| {
                p.get(badges::new_form).post(badges::create)
            })
            .at("/badges/order", |p| p.post(badges::reorder))
            .at("/badges/preview", |p| p.post(badges::preview))
            .at("/badges/{id}", |p| p.get(holders::show))
            .at("/badges/{id}/holders.csv", |p| p.get(exports::holders))
            .at("/badges/{id}/members", |p| {
                p.get(holders::back_to_badge).post(holders::assign)
            })
            .at("/badges/{id}/members/search", |p| {
                p.get(holders::picker_search)
            })
            .at("/badges/{id}/members/remove", |p| {
                p.get(holders::back_to_badge).post(holders::unassign)
            })
            .at("/badges/{id}/members/remove-all", |p| {
                p.get(holders::remove_all_confirm).post(holders::remove_all)
            })
            .at("/badges/{id}/members/end", |p| {
                p.get(holders::back_to_badge).post(holders::set_end)
            })
            .at("/badges/{id}/edit", |p| {
                p.get(badges::edit_form).post(badges::update)
            })
            .at("/badges/{id}/delete", |p| {
                p.get(badges::delete_confirm).post(badges::delete)
            })
            .at("/badges/{id}/move", |p| p.post(badges::move_one))
            .at("/badges/{id}/mail", |p| p.post(badges::set_tell_members))
            .at("/badges/{id}/rule", |p| {
                p.get(rule::show).post(rule::submit)
            })
            .at("/badges/{id}/rule/delete", |p| p.post(rule::remove))
            .at("/jobs", |p| p.get(jobs::show))
            .at("/members", |p| p.get(members::directory))
            .at("/members/export.csv", |p| p.get(exports::members))
            .at("/members/new", |p| {
                p.get(members::new_form).post(members::create)
            })
            .at("/members/import", |p| {
                p.get(members::import_form).post(members::import)
            })
            .at("/members/invite", |p| p.post(invitations::invite_ticked))
            .at("/members/badges", |p| p.post(members::change_listed))
            .at("/members/invite-all", |p| {
                p.get(invitations::invite_all_form)
                    .post(invitations::invite_all)
            })
            .at("/members/{id}", |p| p.get(members::show))
            .at("/members/{id}/invite", |p| p.post(invitations::invite_one))
            .at("/members/{id}/edit", |p| {
                p.get(members::edit_form).post(members::update)
            })
            .at("/members/{id}/badges", |p| p.post(members::add_badges))
            .at("/members/{id}/badges/remove", |p| {
                p.post(members::remove_badges)
            })
            .at("/members/{id}/delete", |p| {
                p.get(members::delete_confirm).post(members::delete)
            })
            .at("/members/{id}/password-link", |p| {
                p.post(members::password_link)
            })
            .at("/badges/{id}/permissions", |p| {
                p.get(pages::permissions).post(pages::save_permissions)
            })
            .at("/pages", |p| p.get(pages::list))
            .at("/pages/new", |p| p.get(pages::new_form).post(pages::create))
            .at("/pages/{id}/edit", |p| {
                p.get(pages::edit_form).post(pages::update)
            })
            .at("/pages/{id}/delete", |p| {
                p.get(pages::delete_confirm).post(pages::delete)
            })
            .at("/api-keys", |p| {
                p.get(api_keys::list).post(api_keys::create)
            })
            .at("/api-keys/{id}/revoke", |p| {
                p.get(api_keys::revoke_confirm).post(api_keys::revoke)
            })
            .at("/webhooks", |p| {
                p.get(webhooks::list).post(webhooks::create)
            })
            .at("/webhooks/{id}", |p| {
                p.get(webhooks::show).post(webhooks::update)
            })
            .at("/webhooks/{id}/delete", |p| p.post(webhooks::delete))
            .at("/webhooks/{id}/rotate", |p| p.post(webhooks::rotate))
            .at("/webhooks/{id}/test", |p| p.post(webhooks::test))
            .at("/webhooks/{id}/redeliver", |p| p.post(webhooks::redeliver))
            .at("/admins", |p| p.get(admins::list).post(admins::add))
            .at("/admins/{id}/remove", |p| {
                p.get(admins::remove_confirm).post(admins::remove)
            })
            .at("/set-password/{token}", |p| {
                p.get(admins::set_password_form).post(admins::set_password)
            })
            .at("/audit", |p| p.get(audit::list))
            .at("/audit/export.csv", |p| p.get(exports::audit))
            .at("/reports/{id}", |p| p.get(reports::download))
            .at("/undo", |p| p.post(undo::undo))
            .at("/settings", |p| p.get(settings::show).post(settings::save));
    });
}
