//! The site's routes (all but the JSON API, whose operation table is in `api`) are declared
//! once, through [`Routes`]: each path is registered with actix and written into a [`Table`]
//! of paths and their methods. [`known_methods_only`] consults that table before the CSRF
//! guard, so an address asked with a method it does not take is answered 405 with `Allow`
//! (never "This form has expired"), and an address nothing serves 404, whatever the method.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ResourceDef, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{FromRequest, Handler, Resource, Responder, ResponseError, web};

use crate::error::AppError;

/// Every site path in routing order, with the methods it takes.
#[derive(Default)]
pub struct Table(Vec<(ResourceDef, Vec<Method>)>);

impl Table {
    /// The methods taken at `path`: those of the first pattern that matches it, since actix
    /// hands a request to the first resource whose pattern matches, whatever its method.
    /// `None` when no pattern matches.
    pub fn methods_at(&self, path: &str) -> Option<&[Method]> {
        self.0
            .iter()
            .find(|(pattern, _)| pattern.is_match(path))
            .map(|(_, methods)| methods.as_slice())
    }
}

/// Registers the site's paths with actix and in the [`Table`].
pub struct Routes<'a> {
    cfg: &'a mut web::ServiceConfig,
    table: &'a mut Table,
    prefix: String,
}

impl<'a> Routes<'a> {
    pub fn new(cfg: &'a mut web::ServiceConfig, table: &'a mut Table) -> Self {
        Routes {
            cfg,
            table,
            prefix: String::new(),
        }
    }

    /// Serves `path` (after the current prefix) with the handlers `methods` adds.
    pub fn at(&mut self, path: &str, methods: impl FnOnce(Endpoint) -> Endpoint) -> &mut Self {
        let path = format!("{}{path}", self.prefix);
        let endpoint = methods(Endpoint {
            resource: web::resource(path.as_str()),
            methods: Vec::new(),
        });
        self.table
            .0
            .push((ResourceDef::new(path), endpoint.methods));
        self.cfg.service(endpoint.resource);
        self
    }

    /// Declares paths that all start with `prefix`.
    pub fn under(&mut self, prefix: &str, paths: impl FnOnce(&mut Routes<'_>)) -> &mut Self {
        let mut inner = Routes {
            prefix: format!("{}{prefix}", self.prefix),
            cfg: &mut *self.cfg,
            table: &mut *self.table,
        };
        paths(&mut inner);
        self
    }
}

/// One path and the handler of each method it takes.
pub struct Endpoint {
    resource: Resource,
    methods: Vec<Method>,
}

impl Endpoint {
    pub fn get<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.handle(Method::GET, handler)
    }

    pub fn post<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.handle(Method::POST, handler)
    }

    fn handle<F, Args>(mut self, method: Method, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.resource = self
            .resource
            .route(web::route().method(method.clone()).to(handler));
        self.methods.push(method);
        self
    }
}

/// Answers a request no site route takes before anything else looks at it: 405 with `Allow`
/// at a known path, 404 elsewhere. The JSON API answers these itself, in its own shape.
pub async fn known_methods_only(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    // The path as the router matches it (percent-escapes of plain characters decoded).
    let path = req.match_info().as_str();
    let refusal = if crate::api::paths::serves(path) {
        None
    } else {
        req.app_data::<web::Data<Table>>()
            .and_then(|table| match table.methods_at(path) {
                Some(methods) if methods.contains(req.method()) => None,
                Some(methods) => Some(super::error_pages::method_not_allowed(methods)),
                None => Some(AppError::NotFound.error_response()),
            })
    };
    match refusal {
        None => Ok(next.call(req).await?.map_into_left_body()),
        Some(response) => Ok(req.into_response(response).map_into_right_body()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(paths: &[(&str, &[Method])]) -> Table {
        Table(
            paths
                .iter()
                .map(|(path, methods)| (ResourceDef::new(*path), methods.to_vec()))
                .collect(),
        )
    }

    #[test]
    fn the_first_matching_path_decides_like_the_router() {
        let table = table(&[
            ("/badges/order", &[Method::POST]),
            ("/badges/{id}", &[Method::GET]),
        ]);
        assert_eq!(table.methods_at("/badges/order"), Some(&[Method::POST][..]));
        assert_eq!(table.methods_at("/badges/abc"), Some(&[Method::GET][..]));
        assert_eq!(table.methods_at("/badges/abc/more"), None);
        assert_eq!(table.methods_at("/badge"), None);
    }
}
