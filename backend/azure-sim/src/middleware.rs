//! Applies the fault rules to every request outside the control API.

use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody, SizedStream};
use actix_web::dev::{Service as ActixService, ServiceRequest, ServiceResponse, Transform};
use actix_web::web::{Bytes, Data};
use actix_web::HttpResponse;

use crate::auth::{unauthorized, AuthFailure, Resource};
use crate::errors::{gateway_timeout, throttled, unavailable, Service};
use crate::faults::{FaultKind, Stage};
use crate::state::SimState;

pub struct Faults;

impl<S> Transform<S, ServiceRequest> for Faults
where
    S: ActixService<ServiceRequest, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>
        + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = actix_web::Error;
    type Transform = FaultsMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(FaultsMiddleware {
            service: Rc::new(service),
        }))
    }
}

pub struct FaultsMiddleware<S> {
    service: Rc<S>,
}

type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

impl<S> ActixService<ServiceRequest> for FaultsMiddleware<S>
where
    S: ActixService<ServiceRequest, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>
        + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = actix_web::Error;
    type Future = LocalFuture<Result<ServiceResponse<BoxBody>, actix_web::Error>>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = self.service.clone();
        Box::pin(async move {
            let path = req.path().to_owned();
            let kind = Service::of_path(&path);
            let Some(state) = req
                .app_data::<Data<SimState>>()
                .cloned()
                .filter(|_| kind != Service::Control)
            else {
                return service.call(req).await;
            };
            let follows_next_link = req
                .query_string()
                .to_ascii_lowercase()
                .contains("skiptoken");
            match state
                .faults
                .take(&path, Stage::Request { follows_next_link })
            {
                Some(FaultKind::Throttle { retry_after }) => {
                    return Ok(req.into_response(throttled(kind, retry_after)))
                }
                Some(FaultKind::ServiceUnavailable { retry_after }) => {
                    return Ok(req.into_response(unavailable(kind, retry_after)))
                }
                Some(FaultKind::NextLinkFailsOnce) => {
                    return Ok(req.into_response(unavailable(kind, None)))
                }
                Some(FaultKind::GatewayTimeout) => {
                    return Ok(req.into_response(gateway_timeout(kind)))
                }
                Some(FaultKind::ExpiredToken) if kind == Service::Graph || kind == Service::Arm => {
                    let resource = if kind == Service::Graph {
                        Resource::Graph
                    } else {
                        Resource::Arm
                    };
                    return Ok(req.into_response(unauthorized(resource, &AuthFailure::Expired)));
                }
                Some(FaultKind::Refuse {
                    status,
                    code,
                    message,
                }) => {
                    let status = actix_web::http::StatusCode::from_u16(status)
                        .unwrap_or(actix_web::http::StatusCode::FORBIDDEN);
                    let message = message.unwrap_or_else(|| "Refused by an injected fault.".into());
                    let response = match kind {
                        Service::Arm => crate::errors::arm_error(status, &code, &message),
                        _ => crate::errors::graph_error(status, &code, &message),
                    };
                    return Ok(req.into_response(response));
                }
                Some(FaultKind::Slow { delay_ms }) => {
                    actix_web::rt::time::sleep(Duration::from_millis(delay_ms)).await
                }
                _ => {}
            }
            let response = service.call(req).await?;
            match state.faults.take(&path, Stage::Response) {
                Some(FaultKind::TruncateBody) => {
                    let (request, response) = response.into_parts();
                    let status = response.status();
                    let headers = response.headers().clone();
                    let body = actix_web::body::to_bytes(response.into_body())
                        .await
                        .unwrap_or_default();
                    let mut cut = HttpResponse::build(status);
                    for (name, value) in headers.iter() {
                        if name != actix_web::http::header::CONTENT_LENGTH {
                            cut.insert_header((name.clone(), value.clone()));
                        }
                    }
                    let half = body.slice(0..body.len() / 2);
                    Ok(ServiceResponse::new(request, cut.body(half)))
                }
                Some(FaultKind::DropConnection) => {
                    let (request, response) = response.into_parts();
                    let status = response.status();
                    let headers = response.headers().clone();
                    let body = actix_web::body::to_bytes(response.into_body())
                        .await
                        .unwrap_or_default();
                    let full_length = body.len() as u64;
                    let half = body.slice(0..body.len() / 2);
                    // The declared length is the whole body; after half of it the stream fails
                    // and the connection is closed, as when a proxy drops it mid-transfer.
                    // The pause lets the headers and the first half reach the client first.
                    use futures_util::StreamExt;
                    let stream =
                        futures_util::stream::once(
                            async move { Ok::<Bytes, std::io::Error>(half) },
                        )
                        .chain(futures_util::stream::once(async {
                            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
                            Err(std::io::Error::new(
                                std::io::ErrorKind::ConnectionReset,
                                "fault: connection dropped",
                            ))
                        }));
                    let mut dropped = HttpResponse::build(status);
                    for (name, value) in headers.iter() {
                        if name != actix_web::http::header::CONTENT_LENGTH {
                            dropped.insert_header((name.clone(), value.clone()));
                        }
                    }
                    let body = SizedStream::new(full_length, stream).boxed();
                    Ok(ServiceResponse::new(request, dropped.body(body)))
                }
                _ => Ok(response),
            }
        })
    }
}
