//! The two kinds of pattern the drift rules use, built-in and tenant alike:
//!
//! - **Resource type patterns** compare case-insensitively, ignore a leading `#` (Graph writes
//!   `@odata.type` as `#microsoft.graph.…`), and `*` matches any run of characters:
//!   `microsoft.graph.*NamedLocation`, `microsoft.network/*`, `*`.
//! - **Path patterns** are JSON Pointers (RFC 6901, `~0` for `~` and `~1` for `/` inside a
//!   segment) in which a segment that is exactly `*` matches any one segment. A literal segment
//!   names an object member; it never selects an array element by position, because positions
//!   are not identities (Graph returns set-like lists in any order and the engine sorts them, so
//!   "element 2" means a different thing from one poll to the next). `*` crosses arrays: it
//!   matches every element.

use std::borrow::Cow;

use serde_json::Value;

/// Whether `resource_type` matches the type pattern (see the module documentation).
pub fn type_matches(pattern: &str, resource_type: &str) -> bool {
    let pattern = pattern.trim_start_matches('#').as_bytes();
    let text = resource_type.trim_start_matches('#').as_bytes();
    let (mut p, mut t) = (0, 0);
    // Where the last `*` was, and how much text it has swallowed so far.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p].eq_ignore_ascii_case(&text[t]) {
            p += 1;
            t += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&b| b == b'*')
}

/// Decodes one segment of a JSON Pointer.
pub fn unescape(segment: &str) -> Cow<'_, str> {
    if segment.contains('~') {
        Cow::Owned(segment.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(segment)
    }
}

/// Splits a path pattern into its first (still escaped) segment and the rest, if any.
/// `None` for the empty pattern (the whole document).
fn split(pattern: &str) -> Option<(&str, Option<&str>)> {
    let rest = pattern.strip_prefix('/')?;
    Some(match rest.find('/') {
        Some(end) => (&rest[..end], Some(&rest[end..])),
        None => (rest, None),
    })
}

/// Calls `visit` on every value the pattern matches (the document itself for `""`).
pub(crate) fn for_each_mut(value: &mut Value, pattern: &str, visit: &mut impl FnMut(&mut Value)) {
    let Some((head, rest)) = split(pattern) else {
        visit(value);
        return;
    };
    let rest = rest.unwrap_or("");
    match value {
        Value::Object(members) if head == "*" => {
            for member in members.values_mut() {
                for_each_mut(member, rest, visit);
            }
        }
        Value::Object(members) => {
            if let Some(member) = members.get_mut(unescape(head).as_ref()) {
                for_each_mut(member, rest, visit);
            }
        }
        Value::Array(items) if head == "*" => {
            for item in items {
                for_each_mut(item, rest, visit);
            }
        }
        _ => {}
    }
}

/// Removes everything the pattern matches: matched object members disappear, matched array
/// elements (only `*` matches those) are all removed, leaving an empty array. The empty
/// pattern removes nothing (rules cannot ignore a whole resource).
pub(crate) fn remove(value: &mut Value, pattern: &str) {
    let Some((parent, last)) = pattern.rsplit_once('/') else {
        return;
    };
    for_each_mut(value, parent, &mut |parent| match parent {
        Value::Object(members) if last == "*" => members.clear(),
        Value::Object(members) => {
            members.remove(unescape(last).as_ref());
        }
        Value::Array(items) if last == "*" => items.clear(),
        _ => {}
    });
}

/// The values the pattern matches, each with its concrete JSON Pointer, in document order.
pub(crate) fn select<'v>(value: &'v Value, pattern: &str) -> Vec<(String, &'v Value)> {
    fn walk<'v>(
        value: &'v Value,
        pattern: &str,
        at: &mut String,
        found: &mut Vec<(String, &'v Value)>,
    ) {
        let Some((head, rest)) = split(pattern) else {
            found.push((at.clone(), value));
            return;
        };
        let rest = rest.unwrap_or("");
        let len = at.len();
        match value {
            Value::Object(members) if head == "*" => {
                for (key, member) in members {
                    push_segment(at, key);
                    walk(member, rest, at, found);
                    at.truncate(len);
                }
            }
            Value::Object(members) => {
                if let Some(member) = members.get(unescape(head).as_ref()) {
                    at.push('/');
                    at.push_str(head);
                    walk(member, rest, at, found);
                    at.truncate(len);
                }
            }
            Value::Array(items) if head == "*" => {
                for (index, item) in items.iter().enumerate() {
                    at.push('/');
                    at.push_str(&index.to_string());
                    walk(item, rest, at, found);
                    at.truncate(len);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(value, pattern, &mut String::new(), &mut found);
    found
}

/// Appends `/` and the escaped key to a JSON Pointer.
pub(crate) fn push_segment(pointer: &mut String, key: &str) {
    pointer.push('/');
    for c in key.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn type_patterns_ignore_case_and_the_odata_hash() {
        assert!(type_matches(
            "microsoft.graph.conditionalAccessPolicy",
            "Microsoft.Graph.ConditionalAccessPolicy"
        ));
        assert!(type_matches(
            "microsoft.graph.ipNamedLocation",
            "#microsoft.graph.ipNamedLocation"
        ));
        assert!(!type_matches(
            "microsoft.graph.conditionalAccessPolicy",
            "microsoft.graph.conditionalAccessPolicyX"
        ));
    }

    #[test]
    fn a_star_in_a_type_matches_any_run_of_characters() {
        assert!(type_matches(
            "microsoft.graph.*NamedLocation",
            "microsoft.graph.countryNamedLocation"
        ));
        assert!(type_matches(
            "microsoft.network/*",
            "Microsoft.Network/networkSecurityGroups"
        ));
        assert!(type_matches("*", "anything"));
        assert!(type_matches("*", ""));
        assert!(type_matches("a*b*c", "aXbYbZc"));
        assert!(!type_matches("a*b*c", "aXbYbZ"));
        assert!(!type_matches(
            "microsoft.network/*",
            "microsoft.keyvault/vaults"
        ));
    }

    #[test]
    fn literal_segments_name_members_and_stars_cross_arrays() {
        let mut doc = json!({
            "a": {"x": 1, "y": 2},
            "list": [{"x": 1, "keep": true}, {"x": 2}],
            "0": "a member named 0",
            "s/l~": 3
        });
        remove(&mut doc, "/list/*/x");
        remove(&mut doc, "/a/y");
        remove(&mut doc, "/s~1l~0");
        assert_eq!(
            doc,
            json!({"a": {"x": 1}, "list": [{"keep": true}, {}], "0": "a member named 0"})
        );
        // A number names a member, never an array position.
        remove(&mut doc, "/list/0");
        assert_eq!(doc["list"], json!([{"keep": true}, {}]));
        remove(&mut doc, "/0");
        assert!(doc.get("0").is_none());
    }

    #[test]
    fn a_final_star_empties_what_it_meets() {
        let mut doc = json!({"tags": {"a": 1, "b": 2}, "list": [1, 2]});
        remove(&mut doc, "/tags/*");
        remove(&mut doc, "/list/*");
        assert_eq!(doc, json!({"tags": {}, "list": []}));
    }

    #[test]
    fn the_empty_pattern_removes_nothing() {
        let mut doc = json!({"a": 1});
        remove(&mut doc, "");
        assert_eq!(doc, json!({"a": 1}));
    }

    #[test]
    fn select_reports_concrete_escaped_pointers() {
        let doc = json!({"rules": [{"a/b": 1}, {"a/b": 2}], "x": null});
        let found: Vec<(String, Value)> = select(&doc, "/rules/*/a~1b")
            .into_iter()
            .map(|(p, v)| (p, v.clone()))
            .collect();
        assert_eq!(
            found,
            [
                ("/rules/0/a~1b".to_owned(), json!(1)),
                ("/rules/1/a~1b".to_owned(), json!(2))
            ]
        );
        assert_eq!(select(&doc, "/x").len(), 1);
        assert!(select(&doc, "/missing").is_empty());
        assert_eq!(select(&doc, "").len(), 1);
    }
}
