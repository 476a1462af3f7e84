//! The notes the API keeps in memory: validated on the way in, addressed by a hash of their content.
use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum Invalid {
    #[error("title: must be 1 to 120 characters")]
    Title,
    #[error("tag {0:?}: use lower-case letters, digits and dashes, at most 32")]
    Tag(String),
    #[error("body: {0}")]
    Json(#[from] serde_json::Error),
}

#[derive(Debug, Clone, Deserialize)]
pub struct NewNote {
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Note {
    pub id: String,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
}

#[derive(Default)]
pub struct Store {
    notes: BTreeMap<String, Note>,
}

fn tag_pattern() -> &'static Regex {
    static TAG: OnceLock<Regex> = OnceLock::new();
    TAG.get_or_init(|| Regex::new(r"^[a-z0-9][a-z0-9-]{0,31}$").expect("the tag pattern compiles"))
}

/// parse reads and validates a note sent as JSON.
pub fn parse(body: &[u8]) -> Result<NewNote, Invalid> {
    let note: NewNote = serde_json::from_slice(body)?;
    if note.title.is_empty() || note.title.chars().count() > 120 {
        return Err(Invalid::Title);
    }
    if let Some(bad) = note.tags.iter().find(|t| !tag_pattern().is_match(t)) {
        return Err(Invalid::Tag(bad.clone()));
    }
    Ok(note)
}

/// etag is the hex SHA-256 of a representation.
pub fn etag(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

impl Store {
    /// add keeps a note under the first 16 hex digits of its content's hash.
    pub fn add(&mut self, n: NewNote) -> Note {
        let mut h = Sha256::new();
        for part in [&n.title, &n.body].into_iter().chain(n.tags.iter()) {
            h.update(part.as_bytes());
            h.update([0u8]);
        }
        let id = hex::encode(&h.finalize()[..8]);
        let note = Note { id: id.clone(), title: n.title, body: n.body, tags: n.tags };
        self.notes.insert(id, note.clone());
        note
    }

    pub fn get(&self, id: &str) -> Option<&Note> {
        self.notes.get(id)
    }

    /// list returns the notes that carry tag, or all of them without one.
    pub fn list(&self, tag: Option<&str>) -> Vec<&Note> {
        self.notes.values().filter(|n| tag.map_or(true, |t| n.tags.iter().any(|x| x == t))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_a_bad_tag() {
        let err = parse(br#"{"title":"a","tags":["Bad Tag"]}"#).unwrap_err();
        assert!(matches!(err, Invalid::Tag(t) if t == "Bad Tag"));
    }

    #[test]
    fn same_content_same_id() {
        let mut s = Store::default();
        let a = s.add(parse(br#"{"title":"a","tags":["x"]}"#).unwrap());
        let b = s.add(parse(br#"{"title":"a","tags":["x"]}"#).unwrap());
        assert_eq!(a.id, b.id);
        assert_eq!(s.list(Some("x")).len(), 1);
        assert_eq!(s.list(Some("y")).len(), 0);
    }
}
