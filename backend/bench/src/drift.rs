//! The drift engine on a large simulated tenant: canonicalise + hash throughput, a re-poll of an
//! unchanged tenant, and a re-poll after the simulator's drift script changed a few percent of
//! it — beside what the naive alternatives cost and how much false drift they would report.
//! Single-threaded: figures are per core.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use azure_sim::drift::{apply, ChangeRequest};
use azure_sim::world::{Collection, SimTenant, World, WorldConfig};
use drift_core::drift::{
    canonicalize, content_hash, evaluate, Evaluation, Observation, StoredState,
};
use drift_core::settings::schema::{IgnoreRule, SeverityRule};
use drift_core::settings::DriftThresholds;
use drift_core::types::{ChangeType, Severity, Source};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// One polled resource, as the worker would see it.
struct Resource {
    source: Source,
    resource_type: String,
    data: Value,
}

/// The tenant's resources keyed by id, as a complete poll returns them.
fn snapshot(tenant: &SimTenant) -> BTreeMap<String, Resource> {
    let mut resources = BTreeMap::new();
    for (collection, items) in &tenant.collections {
        let source = match collection {
            Collection::DeviceConfigurations | Collection::CompliancePolicies => Source::Intune,
            _ => Source::Entra,
        };
        for (id, item) in items {
            let resource_type = item["@odata.type"]
                .as_str()
                .map(|t| t.trim_start_matches('#').to_owned())
                .unwrap_or_else(|| collection.entity_type().to_owned());
            resources.insert(
                id.clone(),
                Resource {
                    source,
                    resource_type,
                    data: item.clone(),
                },
            );
        }
    }
    resources.insert(
        "authenticationMethodsPolicy".into(),
        Resource {
            source: Source::Entra,
            resource_type: "microsoft.graph.authenticationMethodsPolicy".into(),
            data: tenant.authentication_methods_policy.clone(),
        },
    );
    for (id, item) in &tenant.arm_resources {
        resources.insert(
            id.clone(),
            Resource {
                source: Source::Arm,
                resource_type: item["type"].as_str().unwrap_or_default().to_owned(),
                data: item.clone(),
            },
        );
    }
    resources
}

/// Thresholds a real tenant might set: a few ignore paths and severity rules.
fn thresholds() -> DriftThresholds {
    let ignore = |source, resource_type: Option<&str>, path: &str| IgnoreRule {
        source,
        resource_type: resource_type.map(str::to_owned),
        path: path.into(),
        reason: Some("bench".into()),
    };
    let rule = |resource_type: Option<&str>, path: &str, severity| SeverityRule {
        source: None,
        resource_type: resource_type.map(str::to_owned),
        path_prefix: Some(path.into()),
        change_type: None,
        severity,
    };
    DriftThresholds {
        ignore_paths: vec![
            ignore(Some(Source::Arm), None, "/tags/costCenter"),
            ignore(
                Some(Source::Entra),
                Some("microsoft.graph.application"),
                "/publisherDomain",
            ),
            ignore(Some(Source::Intune), None, "/description"),
        ],
        severity_rules: vec![
            rule(None, "/conditions/users/excludeUsers", Severity::Critical),
            rule(
                Some("microsoft.web/sites"),
                "/properties/siteConfig",
                Severity::High,
            ),
            rule(Some("microsoft.storage/*"), "/tags/*", Severity::Info),
        ],
        ..DriftThresholds::default()
    }
}

/// What the worker stores per resource after a poll.
struct Stored {
    hash: String,
    data: Value,
}

fn line(name: &str, count: usize, elapsed: Duration, note: &str) -> String {
    format!(
        "| {name} | {count} | {:.0} | {:.1} | {note} |",
        count as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e3
    )
}

#[derive(Default)]
struct Outcomes {
    nothing: usize,
    store_only: usize,
    changes: BTreeMap<ChangeType, usize>,
    severities: BTreeMap<Severity, usize>,
}

impl Outcomes {
    fn add(&mut self, evaluation: &Evaluation) {
        match evaluation {
            Evaluation::Nothing => self.nothing += 1,
            Evaluation::StoreOnly { .. } => self.store_only += 1,
            Evaluation::Record(change) => {
                *self.changes.entry(change.change_type).or_default() += 1;
                *self.severities.entry(change.severity).or_default() += 1;
            }
        }
    }

    fn changed(&self) -> usize {
        self.changes.values().sum()
    }

    fn summary(&self) -> String {
        let counts = |counts: Vec<String>| counts.join(", ");
        let mut text = format!(
            "{} unchanged, {} volatile-only",
            self.nothing, self.store_only
        );
        if self.changes.is_empty() {
            text.push_str(", no changes");
        } else {
            text.push_str(&format!(
                "; changes: {}; severities: {}",
                counts(
                    self.changes
                        .iter()
                        .map(|(k, n)| format!("{n} {k}"))
                        .collect()
                ),
                counts(
                    self.severities
                        .iter()
                        .rev()
                        .map(|(k, n)| format!("{n} {k}"))
                        .collect()
                ),
            ));
        }
        text
    }
}

/// Evaluates a whole poll: every stored resource against the snapshot (absent ones as missing
/// from a complete listing) and every new one.
fn evaluate_poll(
    stored: &BTreeMap<String, Stored>,
    poll: &BTreeMap<String, Resource>,
    kinds: &BTreeMap<String, (Source, String)>,
    thresholds: &DriftThresholds,
) -> Outcomes {
    let mut outcomes = Outcomes::default();
    for (id, (source, resource_type)) in kinds {
        let observed = poll.get(id);
        let evaluation = evaluate(
            &Observation {
                source: *source,
                resource_type,
                stored: stored.get(id).map(|s| StoredState {
                    content_hash: &s.hash,
                    config_data: &s.data,
                    deleted: false,
                }),
                observed: observed.map(|r| &r.data),
            },
            thresholds,
        );
        outcomes.add(&evaluation);
    }
    outcomes
}

fn kinds_of<'a>(
    polls: impl IntoIterator<Item = &'a BTreeMap<String, Resource>>,
) -> BTreeMap<String, (Source, String)> {
    let mut kinds = BTreeMap::new();
    for poll in polls {
        for (id, r) in poll {
            kinds
                .entry(id.clone())
                .or_insert_with(|| (r.source, r.resource_type.clone()));
        }
    }
    kinds
}

pub fn bench_drift(resources: usize) -> Result<(), String> {
    // Shares shaped like a mid-size tenant: mostly ARM resources and Intune policies.
    let config = WorldConfig {
        tenants: 1,
        users_per_tenant: 200,
        arm_resources: resources * 60 / 100,
        intune_policies: resources * 25 / 100,
        ca_policies: resources * 4 / 100,
        named_locations: resources * 3 / 100,
        applications: resources * 4 / 100,
        signins_per_minute: 1,
        signin_backfill_hours: 0,
        epoch: Some("2026-01-01T00:00:00Z".parse().expect("a date")),
        ..WorldConfig::default()
    };
    let started = Instant::now();
    let mut world = World::generate(config);
    let first = snapshot(&world.tenants[0]);
    let generated = started.elapsed();
    let bytes: usize = first.values().map(|r| r.data.to_string().len()).sum();
    println!(
        "\n## Drift engine: {} simulated resources ({:.0} MiB of JSON, generated in {:.1} s), one core\n",
        first.len(),
        bytes as f64 / (1 << 20) as f64,
        generated.as_secs_f64()
    );
    let thresholds = thresholds();

    println!("| step | resources | resources/s | total ms | result |");
    println!("|---|---|---|---|---|");

    // 1. The first poll: canonicalise and hash everything.
    let started = Instant::now();
    let hashes: Vec<String> = first
        .values()
        .map(|r| {
            content_hash(&canonicalize(
                r.source,
                &r.resource_type,
                &r.data,
                &thresholds,
            ))
        })
        .collect();
    let canonical_time = started.elapsed();
    let stored: BTreeMap<String, Stored> = first
        .iter()
        .zip(hashes)
        .map(|((id, r), hash)| {
            (
                id.clone(),
                Stored {
                    hash,
                    data: r.data.clone(),
                },
            )
        })
        .collect();
    println!(
        "{}",
        line(
            "canonicalise + hash (first poll)",
            first.len(),
            canonical_time,
            "every resource stored with its hash"
        )
    );

    // 2. A re-poll of the unchanged tenant (a fresh copy, as a poll parses anew).
    let unchanged: BTreeMap<String, Resource> = first
        .iter()
        .map(|(id, r)| {
            (
                id.clone(),
                Resource {
                    source: r.source,
                    resource_type: r.resource_type.clone(),
                    data: r.data.clone(),
                },
            )
        })
        .collect();
    let kinds = kinds_of([&first]);
    let started = Instant::now();
    let outcomes = evaluate_poll(&stored, &unchanged, &kinds, &thresholds);
    let repoll_time = started.elapsed();
    println!(
        "{}",
        line(
            "re-evaluate an unchanged poll",
            kinds.len(),
            repoll_time,
            &outcomes.summary()
        )
    );

    // 2b. The same tenant, but every resource's JSON differs in volatile fields only (Graph
    //     timestamps and etags, ARM etags), so nothing is settled by comparing JSON alone.
    let touched_everywhere: BTreeMap<String, Resource> = first
        .iter()
        .map(|(id, r)| {
            let mut data = r.data.clone();
            let object = data.as_object_mut().expect("resources are objects");
            for field in ["modifiedDateTime", "lastModifiedDateTime"] {
                if object.contains_key(field) {
                    object.insert(field.into(), "2026-01-01T01:00:00Z".into());
                }
            }
            let etag = if r.source == Source::Arm {
                "etag"
            } else {
                "@odata.etag"
            };
            object.insert(etag.into(), "W/\"2\"".into());
            let resource = Resource {
                source: r.source,
                resource_type: r.resource_type.clone(),
                data,
            };
            (id.clone(), resource)
        })
        .collect();
    let started = Instant::now();
    let outcomes = evaluate_poll(&stored, &touched_everywhere, &kinds, &thresholds);
    let volatile_time = started.elapsed();
    println!(
        "{}",
        line(
            "re-evaluate a poll where only volatile fields moved, everywhere",
            kinds.len(),
            volatile_time,
            &outcomes.summary()
        )
    );
    drop(touched_everywhere);

    // 3. The drift script changes about 2 % of the tenant (creates, updates, deletes and
    //    volatile-only touches in the simulator's own mix), then a full re-poll.
    let requests = (resources / 50).max(10);
    let now = world.epoch + chrono::Duration::hours(1);
    for _ in 0..requests {
        // The script refuses some random picks (creating a second authentication methods
        // policy): those are skipped.
        let _ = apply(&mut world, &ChangeRequest::default(), now);
    }
    let scripted = world.ground_truth.len();
    let touched: std::collections::BTreeSet<String> = world
        .ground_truth
        .iter()
        .map(|change| change.resource_id.to_lowercase())
        .collect();
    let second = snapshot(&world.tenants[0]);
    let kinds = kinds_of([&first, &second]);
    let started = Instant::now();
    let outcomes = evaluate_poll(&stored, &second, &kinds, &thresholds);
    let drift_time = started.elapsed();
    println!(
        "{}",
        line(
            &format!("re-evaluate a poll after {requests} scripted edits"),
            kinds.len(),
            drift_time,
            &format!(
                "{}; the script made {scripted} real changes to {} resources",
                outcomes.summary(),
                touched.len()
            )
        )
    );

    // The changed subset alone: diff and rate what differs.
    let changed: BTreeMap<String, (Source, String)> = kinds
        .iter()
        .filter(|(id, _)| match (stored.get(*id), second.get(*id)) {
            (Some(s), Some(r)) => s.data != r.data,
            _ => true,
        })
        .map(|(id, kind)| (id.clone(), kind.clone()))
        .collect();
    let started = Instant::now();
    let subset = evaluate_poll(&stored, &second, &changed, &thresholds);
    let subset_time = started.elapsed();
    println!(
        "{}",
        line(
            "evaluate only the resources whose JSON changed",
            changed.len(),
            subset_time,
            &format!(
                "{} recorded changes ({} without the tenant's ignore paths)",
                subset.changed(),
                evaluate_poll(&stored, &second, &changed, &DriftThresholds::default()).changed()
            )
        )
    );

    // Baselines: what skipping canonicalisation costs and what it gets wrong.
    let started = Instant::now();
    let raw_hashes: BTreeMap<&String, String> = first
        .iter()
        .map(|(id, r)| {
            let text = serde_json::to_vec(&r.data).expect("JSON");
            (id, format!("{:x}", Sha256::digest(&text)))
        })
        .collect();
    let raw_time = started.elapsed();
    let raw_false = second
        .iter()
        .filter(|(id, r)| {
            raw_hashes.get(id).is_some_and(|hash| {
                let text = serde_json::to_vec(&r.data).expect("JSON");
                *hash != format!("{:x}", Sha256::digest(&text))
            })
        })
        .count()
        .saturating_sub(
            outcomes
                .changes
                .get(&ChangeType::Updated)
                .copied()
                .unwrap_or(0),
        );
    println!(
        "{}",
        line(
            "baseline: SHA-256 of the raw JSON, no canonical form",
            first.len(),
            raw_time,
            &format!("would report {raw_false} volatile-only or ignored edits as drift")
        )
    );
    let started = Instant::now();
    let mut ops = 0;
    for (id, r) in &unchanged {
        ops += json_patch::diff(&stored[id].data, &r.data).0.len();
    }
    let diff_all_time = started.elapsed();
    println!(
        "{}",
        line(
            "baseline: json_patch::diff of every resource, no hashes (unchanged poll)",
            unchanged.len(),
            diff_all_time,
            &format!("{ops} operations")
        )
    );
    Ok(())
}
