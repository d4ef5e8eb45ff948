//! Properties of the dense little functions everything else leans on.

use drift_core::input::merge_patch;
use drift_core::pagination::{Page, PageRequest};
use drift_core::tenants::TenantInput;
use drift_core::types::AzureTenantId;
use proptest::prelude::*;

proptest! {
    /// A page's cursor names exactly its last row, for any sort key text and id.
    #[test]
    fn a_cursor_continues_after_the_last_row(keys in proptest::collection::vec(("\\PC{0,40}", 1i64..i64::MAX), 1..60), limit in 1i64..50) {
        let rows: Vec<(String, i64)> = keys;
        let page = Page::from_rows(rows.clone(), limit, "-name", |row| (row.0.clone(), row.1));
        let shown = rows.len().min(limit as usize);
        prop_assert_eq!(page.items.len(), shown);
        match page.next_cursor {
            Some(cursor) => {
                prop_assert!(rows.len() > limit as usize);
                let request = PageRequest { limit: None, cursor: Some(cursor) };
                let after: Option<(String, i64)> = request.after("-name").unwrap();
                prop_assert_eq!(after, Some(rows[shown - 1].clone()));
            }
            None => prop_assert!(rows.len() <= limit as usize),
        }
    }

    /// Any spelling of a GUID (case, braces, spaces) is the same tenant id.
    #[test]
    fn guid_spellings_normalise_to_one_id(bytes in proptest::array::uniform16(any::<u8>()), upper in any::<bool>(), braces in any::<bool>()) {
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let guid = format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32]);
        let spelled = if upper { guid.to_uppercase() } else { guid.clone() };
        let spelled = if braces { format!(" {{{spelled}}} ") } else { spelled };
        let parsed = AzureTenantId::parse(&spelled).unwrap();
        prop_assert_eq!(parsed.as_str(), guid.as_str());
    }

    /// An empty merge patch changes nothing; a patch naming every field replaces them all.
    #[test]
    fn merge_patches_change_exactly_what_they_name(name in "\\PC{1,50}", other in "\\PC{1,50}") {
        let current = TenantInput { name: name.clone(), azure_tenant_id: "72f988bf-86f1-41af-91ab-2d7cd011db47".into() };
        let same: TenantInput = merge_patch(&current, &serde_json::json!({})).unwrap();
        prop_assert_eq!(&same.name, &name);
        let renamed: TenantInput = merge_patch(&current, &serde_json::json!({"name": other.clone()})).unwrap();
        prop_assert_eq!(renamed.name, other);
        prop_assert_eq!(renamed.azure_tenant_id, current.azure_tenant_id);
    }
}
