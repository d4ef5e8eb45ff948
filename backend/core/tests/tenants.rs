use drift_core::pagination::{PageRequest, Sort};
use drift_core::tenants::{self, TenantFilter, TenantInput, TenantSortField};
use drift_core::{CoreError, UtcTime};
use drift_testing::TestDb;

fn input(name: &str, n: u32) -> TenantInput {
    TenantInput {
        name: name.to_owned(),
        azure_tenant_id: format!("00000000-0000-0000-0000-{n:012}"),
    }
}

#[test]
fn tenants_round_trip_and_page_on_both_backends() {
    for make_db in TestDb::each() {
        let db = make_db();
        let mut conn = db.conn();
        let now = UtcTime::now();
        let created = tenants::create(&mut conn, &input("Contoso", 1), now).unwrap();
        assert_eq!(created.created_at, now);
        assert_eq!(tenants::get(&mut conn, created.id).unwrap(), created);
        let dup = tenants::create(&mut conn, &input("Other", 1), now).unwrap_err();
        assert!(matches!(dup, CoreError::Conflict(_)), "{dup:?}");
        let mut ids = vec![created.id];
        for i in 2..=5 {
            ids.push(
                tenants::create(&mut conn, &input(&format!("T{i}"), i), now)
                    .unwrap()
                    .id,
            );
        }
        ids.reverse();
        let sort: Sort<TenantSortField> = "-created_at".parse().unwrap();
        let mut page = PageRequest {
            limit: Some(2),
            cursor: None,
        };
        let mut seen = Vec::new();
        loop {
            let result =
                tenants::list(&mut conn, &TenantFilter::default(), None, sort, &page).unwrap();
            seen.extend(result.items.iter().map(|t| t.id));
            match result.next_cursor {
                Some(c) => page.cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen, ids, "{:?}", db.url());
    }
}
