//! The `azure-sim` binary: `--port 0` picks a free port and says which first; the drift script
//! writes the records attribution needs; ARM's own background changes stay out of the world.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::{json, Value};

#[test]
fn port_zero_prints_the_url_first_and_serves_the_tenants() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_azure-sim"))
        .args([
            "--port",
            "0",
            "--drift-every",
            "0",
            "--tenants",
            "3",
            "--arm-resources",
            "100",
            "--intune-policies",
            "10",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let url = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {first:?}"))
        .to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:") && !url.ends_with(":0"),
        "{url}"
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let tenants: Value = runtime.block_on(async {
        reqwest::get(format!("{url}/_sim/tenants"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    child.kill().unwrap();
    child.wait().unwrap();
    let tenants = tenants.as_array().unwrap();
    assert_eq!(tenants.len(), 3);
    for tenant in tenants {
        for field in ["tenant_id", "name", "client_id", "client_secret"] {
            assert!(
                tenant[field].as_str().is_some_and(|v| !v.is_empty()),
                "{field} in {tenant}"
            );
        }
        assert!(tenant["conditional_access_policies"].as_u64().unwrap() >= 5);
    }
}

#[test]
fn help_documents_the_flags() {
    let output = Command::new(env!("CARGO_BIN_EXE_azure-sim"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    for flag in [
        "--port",
        "--seed",
        "--arm-resources",
        "--signins-per-minute",
        "--drift-every",
        "--scenario",
        "--client-id",
    ] {
        assert!(help.contains(flag), "{flag} is not documented");
    }
}

#[test]
fn arm_background_changes_are_system_records_and_leave_the_resource_as_it_was() {
    use azure_sim::drift::{self, ChangeKind, ChangeRequest, Target};
    use azure_sim::world::{World, WorldConfig};
    let mut world = World::generate(WorldConfig {
        tenants: 1,
        arm_resources: 20,
        intune_policies: 5,
        ..WorldConfig::default()
    });
    let tenant_id = world.tenants[0].tenant_id.clone();
    let before = world.tenants[0].arm_resources.clone();
    let request = ChangeRequest {
        tenant_id: Some(tenant_id),
        target: Some(Target::Arm),
        change: Some(ChangeKind::Volatile),
        ..ChangeRequest::default()
    };
    let record = drift::apply(&mut world, &request, chrono::Utc::now()).unwrap();
    assert_eq!(record, None, "not a change anyone made");
    assert!(world.ground_truth.is_empty());
    assert_eq!(world.tenants[0].arm_resources, before);
    let change = &world.tenants[0].resource_changes[0].body;
    assert_eq!(
        change["properties"]["changes"]["properties.provisioningState"]["changeCategory"],
        json!("System")
    );
    assert!(
        world.tenants[0].activity_log.is_empty(),
        "no one called the API"
    );
}

#[test]
fn the_authentication_methods_policy_is_updated_with_an_audit_record_but_never_created() {
    use azure_sim::drift::{self, ChangeKind, ChangeRequest, Target};
    use azure_sim::world::{World, WorldConfig};
    let mut world = World::generate(WorldConfig {
        tenants: 1,
        arm_resources: 5,
        intune_policies: 5,
        ..WorldConfig::default()
    });
    let tenant_id = world.tenants[0].tenant_id.clone();
    let request = |change| ChangeRequest {
        tenant_id: Some(tenant_id.clone()),
        target: Some(Target::AuthenticationMethodsPolicy),
        change: Some(change),
        actor: Some("admin@contoso.onmicrosoft.com".into()),
        ..ChangeRequest::default()
    };
    let before = world.tenants[0].authentication_methods_policy.clone();
    let record = drift::apply(&mut world, &request(ChangeKind::Update), chrono::Utc::now())
        .unwrap()
        .unwrap();
    assert_eq!(record.resource_id, "authenticationMethodsPolicy");
    assert_eq!(record.changed_by, "admin@contoso.onmicrosoft.com");
    assert_ne!(
        world.tenants[0].authentication_methods_policy["authenticationMethodConfigurations"],
        before["authenticationMethodConfigurations"]
    );
    let audit = &world.tenants[0].directory_audits[0].body;
    assert_eq!(
        audit["initiatedBy"]["user"]["userPrincipalName"],
        "admin@contoso.onmicrosoft.com"
    );
    let old: Value = serde_json::from_str(
        audit["targetResources"][0]["modifiedProperties"][0]["oldValue"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(old, before, "old and new values are JSON-encoded strings");
    assert!(drift::apply(&mut world, &request(ChangeKind::Delete), chrono::Utc::now()).is_err());
    let touched = drift::apply(
        &mut world,
        &request(ChangeKind::Volatile),
        chrono::Utc::now(),
    )
    .unwrap();
    assert_eq!(touched, None);
}
