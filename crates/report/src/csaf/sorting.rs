//! Test 6.2.13: every object's keys in alphabetical order, read from the
//! document as written (a parsed value no longer knows the order).

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// The first key out of order: (JSON pointer of its object, the key).
pub fn first_unsorted(bytes: &[u8]) -> Option<(String, String)> {
    let mut found = None;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let seed = Check {
        path: String::new(),
        found: &mut found,
        depth: 0,
    };
    let _ = seed.deserialize(&mut de);
    found
}

struct Check<'a> {
    path: String,
    found: &'a mut Option<(String, String)>,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Check<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Check<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        loop {
            let child = Check {
                path: format!("{}/{i}", self.path),
                found: &mut *self.found,
                depth: self.depth + 1,
            };
            if seq.next_element_seed(child)?.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut last: Option<String> = None;
        while let Some(key) = map.next_key::<String>()? {
            if self.found.is_none()
                && let Some(prev) = &last
                && key.as_str() < prev.as_str()
            {
                *self.found = Some((self.path.clone(), key.clone()));
            }
            let child = Check {
                path: format!("{}/{key}", self.path),
                found: &mut *self.found,
                depth: self.depth + 1,
            };
            map.next_value_seed(child)?;
            last = Some(key);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::first_unsorted;

    #[test]
    fn finds_the_first_key_out_of_order() {
        assert_eq!(
            first_unsorted(br#"{"a": {"b": 1, "c": [ {"x": 1, "y": 2} ]}}"#),
            None
        );
        assert_eq!(
            first_unsorted(br#"{"document": {"csaf_version": "2.0", "category": "x"}}"#),
            Some(("/document".into(), "category".into()))
        );
    }
}
