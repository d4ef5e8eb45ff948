//! The token endpoint, discovery, JWKS and the fault rules, as a client sees them.

mod common;

use std::time::{Duration, Instant};

use azure_sim::{SimOptions, WorldConfig};
use serde_json::{json, Value};

struct Sim {
    base: String,
    client: reqwest::Client,
}

async fn start() -> Sim {
    let config = WorldConfig {
        tenants: 2,
        arm_resources: 50,
        intune_policies: 20,
        ..WorldConfig::default()
    };
    let launched = common::launch(config, SimOptions::default());
    Sim {
        base: launched.base,
        client: launched.client,
    }
}

impl Sim {
    async fn tenants(&self) -> Vec<Value> {
        common::tenants(&self.client, &self.base).await
    }

    async fn token_request(&self, tenant: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}/{tenant}/oauth2/v2.0/token", self.base))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    async fn fault(&self, rule: Value) {
        let response = self
            .client
            .post(format!("{}/_sim/faults", self.base))
            .json(&rule)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    }
}

fn credentials(tenant: &Value) -> (String, String, String) {
    (
        tenant["tenant_id"].as_str().unwrap().to_owned(),
        tenant["client_id"].as_str().unwrap().to_owned(),
        tenant["client_secret"].as_str().unwrap().to_owned(),
    )
}

/// Decodes a JWT's payload without checking it.
fn claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

#[actix_web::test]
async fn client_credentials_yield_a_signed_token_for_the_tenant_and_resource() {
    let sim = start().await;
    let tenants = sim.tenants().await;
    assert_eq!(tenants.len(), 2);
    let (tid, client_id, secret) = credentials(&tenants[0]);
    for (scope, audience) in [
        (
            "https://graph.microsoft.com/.default",
            "https://graph.microsoft.com",
        ),
        (
            "https://management.azure.com/.default",
            "https://management.azure.com/",
        ),
    ] {
        let response = sim
            .token_request(
                &tid,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", &client_id),
                    ("client_secret", &secret),
                    ("scope", scope),
                ],
            )
            .await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["token_type"], "Bearer");
        assert!(body["expires_in"].as_i64().unwrap() > 3000);
        assert!(body["ext_expires_in"].is_i64());
        let claims = claims(body["access_token"].as_str().unwrap());
        assert_eq!(claims["tid"], tid.as_str());
        assert_eq!(claims["aud"], audience);
        assert_eq!(claims["appid"], client_id.as_str());
        assert!(claims["exp"].as_i64().unwrap() > claims["iat"].as_i64().unwrap());
    }
    // The tenant's domain name works as the authority path too.
    let domain = tenants[0]["domain"].as_str().unwrap();
    let response = sim
        .token_request(
            domain,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &client_id),
                ("client_secret", &secret),
                ("scope", "https://graph.microsoft.com/.default"),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
}

async fn expect_identity_error(response: reqwest::Response, status: u16, error: &str, code: u64) {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["error_codes"], json!([code]), "{body}");
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.starts_with(&format!("AADSTS{code}: ")),
        "{description}"
    );
    assert!(
        description.contains("Trace ID: ")
            && description.contains("Correlation ID: ")
            && description.contains("Timestamp: ")
    );
    let timestamp = body["timestamp"].as_str().unwrap();
    assert!(
        chrono::NaiveDateTime::parse_from_str(timestamp, "%Y-%m-%d %H:%M:%SZ").is_ok(),
        "{timestamp}"
    );
    assert!(body["trace_id"].is_string() && body["correlation_id"].is_string());
}

#[actix_web::test]
async fn token_errors_have_the_identity_platform_shape() {
    let sim = start().await;
    let tenants = sim.tenants().await;
    let (tid, client_id, secret) = credentials(&tenants[0]);
    let (other_tid, other_client, other_secret) = credentials(&tenants[1]);
    assert_eq!(
        (&other_client, &other_secret),
        (&client_id, &secret),
        "one multi-tenant app, consented in every tenant"
    );
    let other_client = "9b2b7e4f-0000-4000-8000-000000000001".to_owned();
    let graph = "https://graph.microsoft.com/.default";
    let wrong_secret = sim
        .token_request(
            &tid,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &client_id),
                ("client_secret", "nope"),
                ("scope", graph),
            ],
        )
        .await;
    expect_identity_error(wrong_secret, 401, "invalid_client", 7000215).await;
    let unknown_tenant = sim
        .token_request(
            "00000000-0000-0000-0000-000000000000",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &client_id),
                ("client_secret", &secret),
                ("scope", graph),
            ],
        )
        .await;
    expect_identity_error(unknown_tenant, 400, "invalid_tenant", 90002).await;
    let foreign_client = sim
        .token_request(
            &tid,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &other_client),
                ("client_secret", &secret),
                ("scope", graph),
            ],
        )
        .await;
    expect_identity_error(foreign_client, 400, "unauthorized_client", 700016).await;
    let bad_scope = sim
        .token_request(
            &tid,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &client_id),
                ("client_secret", &secret),
                ("scope", "https://graph.microsoft.com/User.Read"),
            ],
        )
        .await;
    expect_identity_error(bad_scope, 400, "invalid_scope", 70011).await;
    let bad_grant = sim
        .token_request(
            &tid,
            &[
                ("grant_type", "password"),
                ("client_id", &client_id),
                ("client_secret", &secret),
                ("scope", graph),
            ],
        )
        .await;
    expect_identity_error(bad_grant, 400, "unsupported_grant_type", 70003).await;
    assert_ne!(tid, other_tid);
}

#[actix_web::test]
async fn discovery_points_at_the_simulator_and_publishes_the_signing_key() {
    let sim = start().await;
    let tid = sim.tenants().await[0]["tenant_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let config: Value = sim
        .client
        .get(format!(
            "{}/{tid}/v2.0/.well-known/openid-configuration",
            sim.base
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config["issuer"], format!("{}/{tid}/v2.0", sim.base));
    assert_eq!(
        config["token_endpoint"],
        format!("{}/{tid}/oauth2/v2.0/token", sim.base)
    );
    let jwks: Value = sim
        .client
        .get(config["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["e"], "AQAB");
    // The published key verifies the tokens the endpoint signs.
    let (tid, client_id, secret) = credentials(&sim.tenants().await[0]);
    let body: Value = sim
        .token_request(
            &tid,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &client_id),
                ("client_secret", &secret),
                ("scope", "https://graph.microsoft.com/.default"),
            ],
        )
        .await
        .json()
        .await
        .unwrap();
    let decoding = jsonwebtoken::DecodingKey::from_rsa_components(
        key["n"].as_str().unwrap(),
        key["e"].as_str().unwrap(),
    )
    .unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&["https://graph.microsoft.com"]);
    jsonwebtoken::decode::<Value>(
        body["access_token"].as_str().unwrap(),
        &decoding,
        &validation,
    )
    .expect("the token verifies");
}

#[actix_web::test]
async fn throttling_and_outages_answer_in_the_service_format_for_the_next_n_requests() {
    let sim = start().await;
    let tid = sim.tenants().await[0]["tenant_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = format!("{}/{tid}/v2.0/.well-known/openid-configuration", sim.base);
    sim.fault(json!({"endpoint": "/v2.0/.well-known", "fault": {"type": "throttle", "retry_after": 2.128}, "count": 2})).await;
    for _ in 0..2 {
        let response = sim.client.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()["retry-after"], "2.128");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "TooManyRequests");
        assert_eq!(body["error"]["innerError"]["code"], "429");
    }
    assert_eq!(
        sim.client.get(&url).send().await.unwrap().status(),
        200,
        "the rule is used up"
    );

    sim.fault(json!({"endpoint": "*", "fault": {"type": "throttle"}, "count": 1}))
        .await;
    let response = sim.client.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 429);
    assert!(
        response.headers().get("retry-after").is_none(),
        "some services send no Retry-After"
    );

    sim.fault(json!({"endpoint": "*", "fault": {"type": "service_unavailable", "retry_after": 5}, "count": 1})).await;
    let response = sim.client.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "5");

    sim.fault(json!({"endpoint": "*", "fault": {"type": "gateway_timeout"}, "count": 1}))
        .await;
    assert_eq!(sim.client.get(&url).send().await.unwrap().status(), 504);
}

#[actix_web::test]
async fn slow_truncated_and_dropped_responses() {
    let sim = start().await;
    let tid = sim.tenants().await[0]["tenant_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = format!("{}/{tid}/v2.0/.well-known/openid-configuration", sim.base);

    sim.fault(json!({"endpoint": "*", "fault": {"type": "slow", "delay_ms": 400}, "count": 1}))
        .await;
    let started = Instant::now();
    assert_eq!(sim.client.get(&url).send().await.unwrap().status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(400));

    sim.fault(json!({"endpoint": "*", "fault": {"type": "truncate_body"}, "count": 1}))
        .await;
    let response = sim.client.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(
        serde_json::from_str::<Value>(&text).is_err(),
        "a truncated body is not valid JSON: {text}"
    );

    sim.fault(json!({"endpoint": "*", "fault": {"type": "drop_connection"}, "count": 1}))
        .await;
    let response = sim.client.get(&url).send().await.unwrap();
    assert!(
        response.bytes().await.is_err(),
        "the body ends with a broken connection"
    );

    assert_eq!(
        sim.client.get(&url).send().await.unwrap().status(),
        200,
        "the server is fine afterwards"
    );
}

#[actix_web::test]
async fn fault_rules_are_validated_listed_and_removed() {
    let sim = start().await;
    let bad = sim
        .client
        .post(format!("{}/_sim/faults", sim.base))
        .json(&json!({"endpoint": "*", "fault": {"type": "throttle"}, "probability": 2.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let unknown = sim
        .client
        .post(format!("{}/_sim/faults", sim.base))
        .json(&json!({"endpoint": "*", "fault": {"type": "meteor_strike"}, "count": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
    sim.fault(
        json!({"endpoint": "/v1.0/", "fault": {"type": "page_cap", "max": 5}, "probability": 1.0}),
    )
    .await;
    let rules: Value = sim
        .client
        .get(format!("{}/_sim/faults", sim.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = rules[0]["id"].as_u64().unwrap();
    let removed = sim
        .client
        .delete(format!("{}/_sim/faults/{id}", sim.base))
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    let rules: Value = sim
        .client
        .get(format!("{}/_sim/faults", sim.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rules, json!([]));
}

#[actix_web::test]
async fn changes_are_recorded_in_the_ground_truth_and_the_world_is_reproducible() {
    let sim = start().await;
    let tenant = sim.tenants().await[0].clone();
    let tid = tenant["tenant_id"].as_str().unwrap();
    let actor = tenant["users"][3].as_str().unwrap();
    let response: Value = sim
        .client
        .post(format!("{}/_sim/changes", sim.base))
        .json(&json!({"tenant_id": tid, "target": {"kind": "graph", "collection": "conditional_access_policies"}, "change": "update", "actor": actor}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let change = &response["change"];
    assert_eq!(change["change_type"], "updated");
    assert_eq!(change["changed_by"], actor);
    assert_eq!(change["source"], "entra");
    let volatile: Value = sim
        .client
        .post(format!("{}/_sim/changes", sim.base))
        .json(&json!({"tenant_id": tid, "target": {"kind": "arm"}, "change": "volatile"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        volatile["change"],
        Value::Null,
        "a volatile touch is not a change"
    );
    let truth: Value = sim
        .client
        .get(format!("{}/_sim/ground-truth", sim.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(truth.as_array().unwrap().len(), 1);
    assert_eq!(&truth[0], change);

    let bad = sim
        .client
        .post(format!("{}/_sim/changes", sim.base))
        .json(&json!({"tenant_id": "not-a-tenant"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    // Reset with a fixed seed and epoch: the same world twice.
    let reset = json!({"seed": 7, "tenants": 1, "arm_resources": 30, "intune_policies": 10, "epoch": "2026-11-01T00:00:00Z"});
    sim.client
        .post(format!("{}/_sim/reset", sim.base))
        .json(&reset)
        .send()
        .await
        .unwrap();
    let first = sim.tenants().await;
    sim.client
        .post(format!("{}/_sim/reset", sim.base))
        .json(&reset)
        .send()
        .await
        .unwrap();
    assert_eq!(sim.tenants().await, first);
    let truth: Value = sim
        .client
        .get(format!("{}/_sim/ground-truth", sim.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(truth, json!([]), "a reset starts a new history");
}

#[test]
fn the_same_seed_and_epoch_generate_the_same_world() {
    use azure_sim::world::World;
    let config = WorldConfig {
        seed: 99,
        tenants: 2,
        arm_resources: 200,
        intune_policies: 40,
        epoch: Some("2026-11-01T00:00:00Z".parse().unwrap()),
        ..WorldConfig::default()
    };
    let a = World::generate(config.clone());
    let b = World::generate(config.clone());
    let c = World::generate(WorldConfig {
        seed: 100,
        ..config
    });
    for (x, y) in a.tenants.iter().zip(&b.tenants) {
        assert_eq!(x.tenant_id, y.tenant_id);
        assert_eq!(x.collections, y.collections);
        assert_eq!(x.arm_resources, y.arm_resources);
        assert_eq!(
            x.signins.event(12345, &x.users),
            y.signins.event(12345, &y.users)
        );
    }
    assert_ne!(a.tenants[0].tenant_id, c.tenants[0].tenant_id);
    assert!(
        a.tenants[0].collections[&azure_sim::world::Collection::ConditionalAccessPolicies].len()
            >= 5
    );
}

#[actix_web::test]
async fn expired_and_revoked_tokens_are_refused_until_a_new_token_is_fetched() {
    let sim = start().await;
    let (tid, client_id, secret) = credentials(&sim.tenants().await[0]);
    let fetch = || async {
        let body: Value = sim
            .token_request(
                &tid,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", &client_id),
                    ("client_secret", &secret),
                    ("scope", "https://graph.microsoft.com/.default"),
                ],
            )
            .await
            .json()
            .await
            .unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    };
    let token = fetch().await;
    let url = format!("{}/v1.0/applications", sim.base);
    let get = |token: String| {
        let client = sim.client.clone();
        let url = url.clone();
        async move { client.get(url).bearer_auth(token).send().await.unwrap() }
    };
    assert_eq!(get(token.clone()).await.status(), 200);

    sim.fault(
        json!({"endpoint": "/v1.0/applications", "fault": {"type": "expired_token"}, "count": 1}),
    )
    .await;
    let expired = get(token.clone()).await;
    assert_eq!(expired.status(), 401);
    let body: Value = expired.json().await.unwrap();
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("expired"));
    assert_eq!(get(token.clone()).await.status(), 200);

    let revoked = sim
        .client
        .post(format!("{}/_sim/tenants/{tid}/revoke-tokens", sim.base))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    assert_eq!(
        get(token).await.status(),
        401,
        "tokens issued before the revocation are refused"
    );
    // Tokens carry whole seconds; a token from the next second is accepted.
    actix_web::rt::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(get(fetch().await).await.status(), 200);
}

#[actix_web::test]
async fn short_lived_tokens_expire() {
    let config = WorldConfig {
        tenants: 1,
        arm_resources: 5,
        intune_policies: 5,
        ..WorldConfig::default()
    };
    let options = SimOptions {
        token_lifetime_seconds: 1,
        ..SimOptions::default()
    };
    let launched = common::launch(config, options);
    let sim = Sim {
        base: launched.base,
        client: launched.client,
    };
    let (tid, client_id, secret) = credentials(&sim.tenants().await[0]);
    let body: Value = sim
        .token_request(
            &tid,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &client_id),
                ("client_secret", &secret),
                ("scope", "https://management.azure.com/.default"),
            ],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["expires_in"], 1);
    let token = body["access_token"].as_str().unwrap().to_owned();
    actix_web::rt::time::sleep(Duration::from_millis(2100)).await;
    let response = sim
        .client
        .get(format!("{}/subscriptions?api-version=2022-12-01", sim.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "ExpiredAuthenticationToken");
}
