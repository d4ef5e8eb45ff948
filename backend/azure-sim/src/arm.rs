//! Azure Resource Manager: subscriptions, Resource Graph and the activity log.

use actix_web::web;

pub fn configure(_cfg: &mut web::ServiceConfig) {}
