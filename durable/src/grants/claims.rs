//! Reading a user's identity from OpenID claims (an id_token's payload, a userinfo answer):
//! one definition of how `groups` is read, shared by the Worker's login and the object's refresh.

use serde_json::{Map, Value};

use r2_mcp_wire::UserIdentity;

/// Most groups kept from the `groups` claim.
pub const MAX_GROUPS: usize = 256;
/// Longest `sub` accepted.
pub const MAX_SUB: usize = 255;

/// The `groups` claim: an array of names, or of objects with a `name` (or `id`), as Access and
/// other providers send them; anything else counts as no groups.
pub fn groups(claims: &Map<String, Value>) -> Vec<String> {
    match claims.get("groups") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|g| match g {
                Value::String(s) => Some(s.clone()),
                Value::Object(o) => o.get("name").or_else(|| o.get("id")).and_then(Value::as_str).map(str::to_owned),
                _ => None,
            })
            .take(MAX_GROUPS)
            .collect(),
        _ => Vec::new(),
    }
}

/// A claim that is a string.
pub fn string(claims: &Map<String, Value>, name: &str) -> Option<String> {
    claims.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// Why fresh claims cannot replace an identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimsError {
    /// Not a JSON object.
    NotAnObject,
    /// The claims name another subject than the grant's user (OIDC Core §5.3.2: the userinfo
    /// `sub` must be verified): the session is not this user's any more.
    OtherSubject,
}

/// The identity after a userinfo answer: the same issuer and subject, with the email, name and
/// groups the provider reports now (a claim the answer leaves out is no longer held).
pub fn refreshed(old: &UserIdentity, userinfo: &[u8]) -> Result<UserIdentity, ClaimsError> {
    let v: Value = serde_json::from_slice(userinfo).map_err(|_| ClaimsError::NotAnObject)?;
    let Value::Object(c) = v else { return Err(ClaimsError::NotAnObject) };
    if string(&c, "sub").as_deref() != Some(old.sub.as_str()) {
        return Err(ClaimsError::OtherSubject);
    }
    Ok(UserIdentity {
        iss: old.iss.clone(),
        sub: old.sub.clone(),
        email: string(&c, "email"),
        name: string(&c, "name"),
        groups: groups(&c),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;
    use serde_json::json;

    fn alice() -> UserIdentity {
        UserIdentity {
            iss: "https://idp".into(),
            sub: "alice".into(),
            email: Some("a@x".into()),
            name: None,
            groups: vec!["writers".into()],
        }
    }

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn groups_are_names_or_objects_with_a_name() {
        assert_eq!(groups(&obj(json!({"groups": ["a", {"name": "b"}, {"id": "c"}, 7]}))), vec!["a", "b", "c"]);
        assert!(groups(&obj(json!({"groups": "a,b"}))).is_empty());
        assert_eq!(groups(&obj(json!({"groups": vec!["g"; 300]}))).len(), MAX_GROUPS);
    }

    #[test]
    fn userinfo_replaces_groups_for_the_same_subject() {
        let id = refreshed(&alice(), br#"{"sub":"alice","email":"a@x","groups":["readers"]}"#).unwrap();
        assert_eq!(id.groups, vec!["readers"]);
        assert_eq!((id.iss.as_str(), id.sub.as_str()), ("https://idp", "alice"));
        let none = refreshed(&alice(), br#"{"sub":"alice"}"#).unwrap();
        assert!(none.groups.is_empty(), "a user removed from every group has none");
    }

    #[test]
    fn userinfo_of_another_subject_or_garbage_is_refused() {
        assert_eq!(refreshed(&alice(), br#"{"sub":"mallory","groups":["writers"]}"#), Err(ClaimsError::OtherSubject));
        assert_eq!(refreshed(&alice(), br#"{"groups":["writers"]}"#), Err(ClaimsError::OtherSubject));
        assert_eq!(refreshed(&alice(), b"[1]"), Err(ClaimsError::NotAnObject));
        assert_eq!(refreshed(&alice(), b"<html>"), Err(ClaimsError::NotAnObject));
    }
}
