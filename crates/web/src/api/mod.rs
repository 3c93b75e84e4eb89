//! The JSON API under `/members/v3/badges`, wire-compatible with the Wix Members Badges v3
//! REST API (`docs/api.md`). Handlers read input, check the caller, and call the same domain
//! functions as the dashboard; every rule lives in the domain modules.

mod answer;
pub mod caller;
pub mod error;
pub mod extension;
pub mod input;
pub mod openapi;
pub mod paths;
pub mod wire;

use actix_web::{HttpRequest, HttpResponse, web};

use self::answer::{db, ok};
use self::caller::Caller;
use self::error::ApiError;
use self::input::{Json, Paging};
use self::wire::*;
use crate::state::AppState;
use insignia_core::badges::query::{self, QueryError};
use insignia_core::badges::rules::check_access_flags;
use insignia_core::badges::{Rule, store};
use insignia_core::ids::{BadgeId, MemberId};
use insignia_core::members::assignments;

pub use openapi::Operation;

pub use paths::{BASE, serves};

/// The OpenAPI document of [`operations`].
async fn document() -> HttpResponse {
    HttpResponse::Ok().json(openapi::document_value(operations()))
}

/// Every operation, in routing order: fixed paths come before `{id}`, so `order`, `query`
/// and `members` are never taken for badge ids. This one table drives both the router and
/// the OpenAPI document, so the two cannot drift apart.
pub fn operations() -> Vec<Operation> {
    use actix_web::http::Method;
    vec![
        Operation::new(
            Method::GET,
            "/badges",
            "listBadges",
            "List badges in display order",
            || web::get().to(list_badges),
        )
        .paged()
        .responds::<BadgesPage>(),
        Operation::new(
            Method::POST,
            "/badges",
            "createBadge",
            "Create a badge (it goes last in the display order)",
            || web::post().to(create_badge),
        )
        .restricted()
        .takes::<NewBadgeRequest>()
        .body_required()
        .responds::<BadgeResponse>(),
        Operation::new(
            Method::POST,
            "/badges/query",
            "queryBadges",
            "Filter, sort and page badges",
            || web::post().to(query_badges),
        )
        .takes::<QueryRequest>()
        .responds::<BadgesPage>(),
        Operation::new(
            Method::PATCH,
            "/badges/order",
            "updateBadgesDisplayOrder",
            "Put the listed badges first, in the given order; the rest keep their order after them",
            || web::patch().to(update_display_order),
        )
        .restricted()
        .takes::<OrderRequest>()
        .body_required()
        .responds::<BadgesResponse>(),
        Operation::new(
            Method::POST,
            "/badges/members",
            "listBadgesPerMember",
            "The badges of each given member, in display order",
            || web::post().to(list_badges_per_member),
        )
        .takes::<MemberIdsRequest>()
        .body_required()
        .responds::<MemberBadgeIdsResponse>(),
        Operation::new(
            Method::GET,
            "/badges/members/count",
            "getMemberCountsPerBadge",
            "How many members hold each badge (zero counts included), in display order",
            || web::get().to(member_counts),
        )
        .responds::<BadgeMemberCountsResponse>(),
        Operation::new(Method::GET, "/badges/{id}", "getBadge", "One badge", || {
            web::get().to(get_badge)
        })
        .responds::<BadgeResponse>(),
        Operation::new(
            Method::PATCH,
            "/badges/{id}",
            "updateBadge",
            "Change the fields sent; the others keep their values",
            || web::patch().to(update_badge),
        )
        .restricted()
        .takes::<BadgeRequest>()
        .body_required()
        .responds::<BadgeResponse>(),
        Operation::new(
            Method::DELETE,
            "/badges/{id}",
            "deleteBadge",
            "Delete a badge with its assignments and page permissions",
            || web::delete().to(delete_badge),
        )
        .restricted()
        .responds::<Empty>(),
        Operation::new(
            Method::GET,
            "/badges/{id}/members",
            "listMembersByBadge",
            "The badge's holders, oldest assignment first",
            || web::get().to(list_members_by_badge),
        )
        .paged()
        .responds::<MembersPage>(),
        Operation::new(
            Method::POST,
            "/badges/{id}/members",
            "assignBadge",
            "Give the badge to members (all or nothing)",
            || web::post().to(assign_badge),
        )
        .restricted()
        .takes::<AssignRequest>()
        .body_required()
        .responds::<MemberIdsResponse>(),
        Operation::new(
            Method::DELETE,
            "/badges/{id}/members",
            "unassignBadge",
            "Take the badge from members (memberIds in the query string or a JSON body)",
            || web::delete().to(unassign_badge),
        )
        .restricted()
        .listing_members()
        .responds::<Empty>(),
        // Insignia's own, under /insignia/v1.
        Operation::new(
            Method::PATCH,
            "/badges/{id}",
            "updateBadgeSettings",
            "How long the badge's assignments last (validForDays; null: until taken away)",
            || web::patch().to(extension::update_badge_settings),
        )
        .extension()
        .restricted()
        .takes::<extension::BadgeSettingsRequest>()
        .body_required()
        .responds::<extension::BadgeSettingsResponse>(),
        Operation::new(
            Method::GET,
            "/badges/{id}/members",
            "listBadgeHolders",
            "The badge's holders, newest assignment first, with when each got it and when it ends",
            || web::get().to(extension::holders),
        )
        .extension()
        .cursor_paged()
        .responds::<extension::HoldersPage>(),
        Operation::new(
            Method::POST,
            "/badges/{id}/members",
            "giveBadge",
            "Give the badge to members (all or nothing), ending at expiresDate when one is sent",
            || web::post().to(extension::give),
        )
        .extension()
        .restricted()
        .takes::<extension::GiveRequest>()
        .body_required()
        .responds::<extension::GiveResponse>(),
        Operation::new(
            Method::POST,
            "/badges/{id}/rule/preview",
            "previewBadgeRule",
            "What saving this rule would do (members matching, given, taken); changes nothing",
            || web::post().to(extension::preview_rule),
        )
        .extension()
        .restricted()
        .takes::<extension::RuleRequest>()
        .body_required()
        .responds::<extension::RulePreview>(),
        Operation::new(
            Method::GET,
            "/badges/{id}/rule",
            "getBadgeRule",
            "The rule that gives the badge (404 RULE_NOT_FOUND: it is given by hand)",
            || web::get().to(extension::get_rule),
        )
        .extension()
        .restricted()
        .responds::<extension::RuleResponse>(),
        Operation::new(
            Method::PUT,
            "/badges/{id}/rule",
            "setBadgeRule",
            "Give the badge by this rule from now on, and run it over every member now",
            || web::put().to(extension::put_rule),
        )
        .extension()
        .restricted()
        .takes::<extension::RuleRequest>()
        .body_required()
        .responds::<extension::RuleSaved>(),
        Operation::new(
            Method::DELETE,
            "/badges/{id}/rule",
            "deleteBadgeRule",
            "Stop giving the badge by a rule; its holders keep it, as if given by hand",
            || web::delete().to(extension::delete_rule),
        )
        .extension()
        .restricted()
        .responds::<Empty>(),
    ]
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    use actix_web::http::Method;
    let operations = operations();
    for base in [BASE, paths::EXTENSION] {
        let mut scope = web::scope(base).wrap(cross_origin());
        if base == BASE {
            scope = scope.service(resource("/openapi.json", &[Method::GET]).get(document));
        }
        let ours: Vec<&Operation> = operations.iter().filter(|op| op.base == base).collect();
        let mut paths: Vec<&str> = Vec::new();
        for op in &ours {
            if !paths.contains(&op.path) {
                paths.push(op.path);
            }
        }
        for path in paths {
            let served: Vec<&&Operation> = ours.iter().filter(|op| op.path == path).collect();
            let methods: Vec<Method> = served.iter().map(|op| op.method.clone()).collect();
            let mut routes = resource(path, &methods);
            for op in served {
                routes = routes.route((op.route)());
            }
            scope = scope.service(routes);
        }
        cfg.service(scope.default_service(web::to(|| async {
            Err::<HttpResponse, _>(ApiError::route_not_found())
        })));
    }
}

/// Other origins (a site's own front end on its own domain) may call the API from a browser
/// with an API key or none. Cookies are never honoured across origins (no
/// `Allow-Credentials`), and `X-CSRF-Token` is not an allowed header, so a dashboard session
/// cannot be used from another site.
fn cross_origin() -> actix_cors::Cors {
    use actix_web::http::{Method, header};
    actix_cors::Cors::default()
        .allow_any_origin()
        .allowed_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(3600)
}

/// A path of the API. Any method it does not serve is answered 405 with `Allow` naming the
/// ones it does, as HTTP requires, so a client can tell a wrong method from a wrong path.
fn resource(path: &str, methods: &[actix_web::http::Method]) -> actix_web::Resource {
    use actix_web::ResponseError;
    let allow = methods
        .iter()
        .map(actix_web::http::Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    web::resource(path).default_service(web::to(move || {
        let mut response = ApiError::method_not_allowed().error_response();
        if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&allow) {
            response
                .headers_mut()
                .insert(actix_web::http::header::ALLOW, value);
        }
        async move { response }
    }))
}

fn badges_out(badges: Vec<insignia_core::badges::Badge>) -> Vec<BadgeOut> {
    badges.into_iter().map(BadgeOut::from).collect()
}

fn required_badge(request: BadgeRequest) -> Result<BadgeIn, ApiError> {
    request
        .badge
        .map(|input::Object(badge)| badge)
        .ok_or_else(|| ApiError::violation("badge", Rule::Required, "is required"))
}

/// createBadge (docs/api.md, operation #1)
async fn create_badge(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<NewBadgeRequest>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.authorize_change(&state).await?;
    let valid = required_badge(body.0.into())?.into_new().parse()?;
    let badge = db(&state, move |conn| {
        Ok(store::create(conn, &actor, &valid, None)?)
    })
    .await?;
    ok(BadgeResponse {
        badge: badge.into(),
    })
}

/// updateBadge (docs/api.md, operation #2): only the fields sent change.
async fn update_badge(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<BadgeId>,
    body: Json<BadgeRequest>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.authorize_change(&state).await?;
    let id = path.into_inner();
    let changes = required_badge(body.0)?;
    if changes
        .id
        .as_deref()
        .is_some_and(|sent| id.as_str() != sent)
    {
        return Err(ApiError::violation(
            "badge.id",
            Rule::Other,
            "must be the id in the path",
        ));
    }
    let badge = db(&state, move |conn| {
        insignia_core::db::write(conn, |conn| {
            let current = store::find(conn, &id)?;
            // Asking for both flags at once breaks a rule of the request (400). Asking for
            // one on a badge that has the other is a fine request that the badge's state
            // refuses, so it conflicts (409), as a taken title does.
            let asks_both =
                changes.permissions_enabled == Some(true) && changes.self_assignable == Some(true);
            let merged = changes.over(current.as_input());
            if !asks_both
                && check_access_flags(merged.permissions_enabled, merged.self_assignable).is_err()
            {
                return Err(ApiError::from(crate::error::AppError::Conflict(
                    "A badge that grants page permissions cannot also be self-assignable; \
                     change both in one request"
                        .into(),
                )));
            }
            let valid = merged.parse()?;
            Ok(store::update(conn, &actor, &id, &valid, None)?)
        })
    })
    .await?;
    ok(BadgeResponse {
        badge: badge.into(),
    })
}

/// getBadge (docs/api.md, operation #3)
async fn get_badge(
    state: web::Data<AppState>,
    _caller: Caller,
    path: web::Path<BadgeId>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let badge = db(&state, move |conn| Ok(store::find(conn, &id)?)).await?;
    ok(BadgeResponse {
        badge: badge.into(),
    })
}

/// listBadges (docs/api.md, operation #4), in display order.
async fn list_badges(
    state: web::Data<AppState>,
    _caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let paging = Paging::from_query(&input::query_pairs(&req)?)?;
    let (badges, total) = db(&state, move |conn| {
        Ok(store::page_in_order(conn, paging.offset, paging.limit)?)
    })
    .await?;
    ok(BadgesPage::new(badges, paging.offset, total))
}

fn query_violation(e: QueryError) -> ApiError {
    ApiError::violation(&e.field, Rule::Other, e.message)
}

/// A query's filter, sorts and page, each checked.
fn read_query(
    request: Query,
) -> Result<(Option<query::Filter>, Vec<query::Sort>, Paging), ApiError> {
    let filter = match &request.filter {
        None | Some(serde_json::Value::Null) => None,
        Some(f) => Some(query::parse_filter(f, "filter").map_err(query_violation)?),
    };
    let sorts = match &request.sort {
        None | Some(serde_json::Value::Null) => Vec::new(),
        Some(s) => query::parse_sort(s, "sort").map_err(query_violation)?,
    };
    let paging = request.paging.unwrap_or_default().0;
    Ok((filter, sorts, Paging::new(paging.limit, paging.offset)?))
}

/// queryBadges (docs/api.md, operation #5): filter, sort, page; display order unless sorted.
async fn query_badges(
    state: web::Data<AppState>,
    _caller: Caller,
    body: Json<QueryRequest>,
) -> Result<HttpResponse, ApiError> {
    // Both levels are checked, so that a wrapped query never hides a broken outer one.
    let (top_level, wrapped) = body.0.into_parts();
    let top_level = read_query(top_level)?;
    let (filter, sorts, paging) = match wrapped {
        Some(inner) => read_query(inner)?,
        None => top_level,
    };
    let all = db(&state, |conn| Ok(store::list_in_order(conn)?)).await?;
    let found = query::run(all, filter.as_ref(), &sorts);
    let total = found.len() as i64;
    let page: Vec<_> = found
        .into_iter()
        .skip(usize::try_from(paging.offset).unwrap_or(usize::MAX))
        .take(usize::try_from(paging.limit).unwrap_or(0))
        .collect();
    ok(BadgesPage::new(page, paging.offset, total))
}

/// deleteBadge (docs/api.md, operation #6): its assignments and page permissions go with it.
async fn delete_badge(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<BadgeId>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.authorize_change(&state).await?;
    let id = path.into_inner();
    db(&state, move |conn| {
        Ok(insignia_core::members::assignments::delete_badge(
            conn, &actor, &id,
        )?)
    })
    .await?;
    ok(Empty {})
}

/// assignBadge (docs/api.md, operation #7): all or nothing; answers with every requested member, now all holders.
async fn assign_badge(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<BadgeId>,
    body: Json<AssignRequest>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.authorize_change(&state).await?;
    let requested =
        extension::give_members(&state, actor, path.into_inner(), body.0.member_ids, None).await?;
    ok(MemberIdsResponse {
        member_ids: requested,
    })
}

/// unassignBadge (docs/api.md, operation #8): ids in the query string (`memberIds=a&memberIds=b`) or a JSON body.
async fn unassign_badge(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<BadgeId>,
    req: HttpRequest,
    body: Json<MemberIdsRequest>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.authorize_change(&state).await?;
    let id = path.into_inner();
    let mut listed: Vec<String> = input::query_pairs(&req)?
        .into_iter()
        .filter(|(k, _)| k == "memberIds" || k == "memberIds[]")
        .map(|(_, v)| v)
        .collect();
    listed.extend(body.0.member_ids.unwrap_or_default());
    let ids = input::member_ids(Some(listed))?;
    db(&state, move |conn| {
        Ok(assignments::unassign(
            conn,
            &actor,
            &id,
            &MemberId::all(&ids),
        )?)
    })
    .await?;
    ok(Empty {})
}

/// listMembersByBadge (docs/api.md, operation #9), oldest assignment first.
async fn list_members_by_badge(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<BadgeId>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let paging = Paging::from_query(&input::query_pairs(&req)?)?;
    let id = path.into_inner();
    let audience = caller.audience().await?;
    let (member_ids, total) = db(&state, move |conn| {
        Ok(assignments::holders_oldest_first(
            conn,
            &id,
            audience,
            paging.offset,
            paging.limit,
        )?)
    })
    .await?;
    ok(MembersPage {
        metadata: PagingMetadata {
            count: member_ids.len(),
            offset: paging.offset,
            total,
        },
        member_ids,
    })
}

/// listBadgesPerMember (docs/api.md, operation #10): one entry per requested member, badges in display order.
async fn list_badges_per_member(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<MemberIdsRequest>,
) -> Result<HttpResponse, ApiError> {
    let ids = input::member_ids(body.0.member_ids)?;
    let lookup = ids.clone();
    let audience = caller.audience().await?;
    let held = db(&state, move |conn| {
        Ok(assignments::badges_of_many(
            conn,
            &MemberId::all(&lookup),
            audience,
        )?)
    })
    .await?;
    ok(MemberBadgeIdsResponse {
        member_badge_ids: ids
            .into_iter()
            .map(|member_id| MemberBadgeIds {
                badge_ids: held.of(&member_id).map(|b| b.id.to_string()).collect(),
                member_id,
            })
            .collect(),
    })
}

/// getMemberCountsPerBadge (docs/api.md, operation #11): every badge, zero counts included, display order. The
/// counts are the stored ones, kept exact by every assignment change; hidden assignments count,
/// as in the badge page's "Held by N".
async fn member_counts(
    state: web::Data<AppState>,
    _caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let badges = db(&state, |conn| Ok(store::list_in_order(conn)?)).await?;
    ok(BadgeMemberCountsResponse {
        badge_member_counts: badges
            .into_iter()
            .map(|b| BadgeMemberCount {
                badge_id: b.id.into_string(),
                member_count: b.member_count,
            })
            .collect(),
    })
}

/// updateBadgesDisplayOrder (docs/api.md, operation #12): listed badges first, the rest keep their order after them.
async fn update_display_order(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<OrderRequest>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.authorize_change(&state).await?;
    let ids = body.0.badge_ids.ok_or_else(|| {
        ApiError::violation(
            "badgeIds",
            Rule::Required,
            "must list the badges to put first",
        )
    })?;
    let badges = db(&state, move |conn| {
        Ok(store::reorder(conn, &actor, &ids, None)?)
    })
    .await?;
    ok(BadgesResponse {
        badges: badges_out(badges),
    })
}
