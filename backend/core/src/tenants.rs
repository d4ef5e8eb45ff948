//! Tenants: the organisations whose Microsoft cloud is watched.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::db::schema::tenants;
use crate::db::DbConnection;
use crate::error::{conflict_on_unique, CoreError, CoreResult};
use crate::pagination::{sort_key_text, Page, PageRequest, Sort};
use crate::types::AzureTenantId;
use crate::{keyset, sort_orders, UtcTime};

/// An organisation linked to one Entra tenant.
#[derive(Debug, Clone, PartialEq, Queryable, Serialize, Deserialize, ToSchema)]
pub struct Tenant {
    pub id: i64,
    /// Display name.
    pub name: String,
    /// The Entra tenant id (a GUID, lower case).
    #[schema(example = "72f988bf-86f1-41af-91ab-2d7cd011db47")]
    pub azure_tenant_id: String,
    pub created_at: UtcTime,
}

/// The writable fields of a tenant (create and full replace).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantInput {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "Contoso")]
    pub name: String,
    /// The Entra tenant id, a GUID; unique across tenants.
    #[schema(example = "72f988bf-86f1-41af-91ab-2d7cd011db47")]
    pub azure_tenant_id: String,
}

impl From<&Tenant> for TenantInput {
    fn from(tenant: &Tenant) -> Self {
        Self {
            name: tenant.name.clone(),
            azure_tenant_id: tenant.azure_tenant_id.clone(),
        }
    }
}

impl TenantInput {
    fn checked(&self) -> CoreResult<(String, AzureTenantId)> {
        let mut errors = match self.validate() {
            Ok(()) => Vec::new(),
            Err(e) => match CoreError::from(e) {
                CoreError::Invalid(fields) => fields,
                other => return Err(other),
            },
        };
        let name = self.name.trim().to_owned();
        if name.is_empty() && errors.iter().all(|e| e.field != "name") {
            errors.push(crate::FieldError::new("name", "blank", "must not be blank"));
        }
        let azure_id = AzureTenantId::parse(&self.azure_tenant_id)
            .map_err(|message| {
                errors.push(crate::FieldError::new("azure_tenant_id", "guid", message))
            })
            .ok();
        match azure_id {
            Some(id) if errors.is_empty() => Ok((name, id)),
            _ => Err(CoreError::Invalid(errors)),
        }
    }
}

sort_orders! {
    TenantSortField { Name => "name", CreatedAt => "created_at", Id => "id" } default Name false
}

/// Filters of the tenant list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TenantFilter {
    /// Only tenants whose name contains this text (case-insensitive).
    pub name: Option<String>,
    /// Only the tenant with this Entra tenant id.
    pub azure_tenant_id: Option<String>,
}

const DUPLICATE_AZURE_ID: &str = "a tenant with this azure_tenant_id already exists";

pub fn create(conn: &mut DbConnection, input: &TenantInput, now: UtcTime) -> CoreResult<Tenant> {
    let (name, azure_id) = input.checked()?;
    diesel::insert_into(tenants::table)
        .values((
            tenants::name.eq(name),
            tenants::azure_tenant_id.eq(azure_id.as_str()),
            tenants::created_at.eq(now),
        ))
        .returning(tenants::all_columns)
        .get_result(conn)
        .map_err(|e| conflict_on_unique(e, DUPLICATE_AZURE_ID))
}

pub fn get(conn: &mut DbConnection, id: i64) -> CoreResult<Tenant> {
    tenants::table
        .find(id)
        .first(conn)
        .optional()?
        .ok_or_else(|| CoreError::not_found("tenant", id))
}

pub fn find_by_azure_id(
    conn: &mut DbConnection,
    azure_tenant_id: &AzureTenantId,
) -> CoreResult<Option<Tenant>> {
    Ok(tenants::table
        .filter(tenants::azure_tenant_id.eq(azure_tenant_id.as_str()))
        .first(conn)
        .optional()?)
}

pub fn update(conn: &mut DbConnection, id: i64, input: &TenantInput) -> CoreResult<Tenant> {
    let (name, azure_id) = input.checked()?;
    diesel::update(tenants::table.find(id))
        .set((
            tenants::name.eq(name),
            tenants::azure_tenant_id.eq(azure_id.as_str()),
        ))
        .returning(tenants::all_columns)
        .get_result(conn)
        .optional()
        .map_err(|e| conflict_on_unique(e, DUPLICATE_AZURE_ID))?
        .ok_or_else(|| CoreError::not_found("tenant", id))
}

/// Deletes a tenant and, by cascade, everything it owns.
pub fn delete(conn: &mut DbConnection, id: i64) -> CoreResult<()> {
    let deleted = diesel::delete(tenants::table.find(id)).execute(conn)?;
    if deleted == 0 {
        return Err(CoreError::not_found("tenant", id));
    }
    Ok(())
}

/// Lists tenants; `only` limits the list to one tenant (callers who see only their own).
pub fn list(
    conn: &mut DbConnection,
    filter: &TenantFilter,
    only: Option<i64>,
    sort: Sort<TenantSortField>,
    page: &PageRequest,
) -> CoreResult<Page<Tenant>> {
    let limit = page.limit()?;
    let sort_text = sort_key_text(sort.field.field(), sort.descending);
    let mut query = tenants::table.into_boxed();
    if let Some(id) = only {
        query = query.filter(tenants::id.eq(id));
    }
    if let Some(name) = filter.name.as_deref().filter(|n| !n.is_empty()) {
        query = query.filter(
            crate::db::fold(tenants::name)
                .like(crate::db::like_pattern(name))
                .escape('\\'),
        );
    }
    if let Some(raw) = &filter.azure_tenant_id {
        let id = AzureTenantId::parse(raw)
            .map_err(|m| CoreError::invalid("azure_tenant_id", "guid", m))?;
        query = query.filter(tenants::azure_tenant_id.eq(id.into_string()));
    }
    let query = match sort.field {
        TenantSortField::Name => keyset!(
            query,
            tenants::name,
            tenants::id,
            sort.descending,
            page.after::<String>(&sort_text)?
        ),
        TenantSortField::CreatedAt => keyset!(
            query,
            tenants::created_at,
            tenants::id,
            sort.descending,
            page.after::<UtcTime>(&sort_text)?
        ),
        TenantSortField::Id => keyset!(
            query,
            tenants::id,
            tenants::id,
            sort.descending,
            page.after::<i64>(&sort_text)?
        ),
    };
    let rows: Vec<Tenant> = query.limit(limit + 1).load(conn)?;
    Ok(Page::from_rows(rows, limit, &sort_text, |t| {
        match sort.field {
            TenantSortField::Name => (serde_json::json!(t.name), t.id),
            TenantSortField::CreatedAt => (serde_json::json!(t.created_at), t.id),
            TenantSortField::Id => (serde_json::json!(t.id), t.id),
        }
    }))
}
