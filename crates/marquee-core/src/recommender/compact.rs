//! Compact serde encodings for the large numeric arrays of a snapshot.
//!
//! In human-readable formats (the JSON snapshot blob) an `f32` array is one base64 string of its
//! little-endian bytes (exact, NaN-safe, ~5.3 bytes per value instead of ~11), and a neighbour
//! list set is stored by index with varint-coded index gaps. Readers also accept the plain JSON
//! arrays of version-1 blobs. Binary formats get the plain serde representation.

use super::ItemIdx;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};
use std::fmt;

fn encode_f32(v: &[f32]) -> String {
    let mut bytes = Vec::with_capacity(v.len() * 4);
    for x in v {
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    STANDARD.encode(bytes)
}

fn decode_f32<E: de::Error>(s: &str) -> Result<Vec<f32>, E> {
    let bytes = STANDARD.decode(s).map_err(E::custom)?;
    if !bytes.len().is_multiple_of(4) {
        return Err(E::custom("f32 array: byte length is not a multiple of 4"));
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

fn encode_varints(v: impl Iterator<Item = u32>) -> String {
    let mut bytes = Vec::new();
    for mut x in v {
        while x >= 0x80 {
            bytes.push((x as u8 & 0x7f) | 0x80);
            x >>= 7;
        }
        bytes.push(x as u8);
    }
    STANDARD.encode(bytes)
}

fn decode_varints<E: de::Error>(s: &str) -> Result<Vec<u32>, E> {
    let bytes = STANDARD.decode(s).map_err(E::custom)?;
    let mut out = Vec::with_capacity(bytes.len());
    let (mut x, mut shift) = (0u32, 0u32);
    for b in bytes {
        if shift > 28 {
            return Err(E::custom("varint too long"));
        }
        x |= ((b & 0x7f) as u32) << shift;
        if b & 0x80 == 0 {
            out.push(x);
            x = 0;
            shift = 0;
        } else {
            shift += 7;
        }
    }
    if shift != 0 {
        return Err(E::custom("truncated varint"));
    }
    Ok(out)
}

/// `#[serde(with = "compact::f32s")]` for `Vec<f32>`.
pub mod f32s {
    use super::*;

    /// Serialises as a base64 string (human-readable formats) or a plain sequence.
    pub fn serialize<S: Serializer>(v: &[f32], s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&encode_f32(v))
        } else {
            v.serialize(s)
        }
    }

    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<f32>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a base64 string of little-endian f32 or an array of numbers")
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<Vec<f32>, E> {
            decode_f32(s)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Vec<f32>, A::Error> {
            let mut out = Vec::with_capacity(a.size_hint().unwrap_or(0));
            // version-1 blobs wrote NaN as null
            while let Some(x) = a.next_element::<Option<f32>>()? {
                out.push(x.unwrap_or(f32::NAN));
            }
            Ok(out)
        }
    }

    /// Reads either encoding.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f32>, D::Error> {
        if d.is_human_readable() {
            d.deserialize_any(V)
        } else {
            Vec::<f32>::deserialize(d)
        }
    }
}

/// `#[serde(with = "compact::neighbours")]` for per-item neighbour lists
/// `Vec<Vec<(ItemIdx, f32)>>` sorted by descending similarity, ties by ascending index (the
/// order is restored after reading).
pub mod neighbours {
    use super::*;

    type Lists = Vec<Vec<(ItemIdx, f32)>>;

    fn canonical(v: &mut [(ItemIdx, f32)]) {
        v.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    }

    /// Serialises as `{len, idx, sim}`: list lengths and index gaps as base64 varints, the
    /// similarities (in index order) as base64 f32.
    pub fn serialize<S: Serializer>(v: &Lists, s: S) -> Result<S::Ok, S::Error> {
        if !s.is_human_readable() {
            return v.serialize(s);
        }
        let mut gaps = Vec::new();
        let mut sims = Vec::new();
        let mut sorted: Vec<(ItemIdx, f32)> = Vec::new();
        for l in v {
            sorted.clear();
            sorted.extend_from_slice(l);
            sorted.sort_unstable_by_key(|x| x.0);
            let mut prev = 0u32;
            for (n, &(i, w)) in sorted.iter().enumerate() {
                gaps.push(if n == 0 { i.0 } else { i.0 - prev });
                prev = i.0;
                sims.push(w);
            }
        }
        let mut st = s.serialize_struct("Neighbours", 3)?;
        st.serialize_field("len", &encode_varints(v.iter().map(|l| l.len() as u32)))?;
        st.serialize_field("idx", &encode_varints(gaps.into_iter()))?;
        st.serialize_field("sim", &encode_f32(&sims))?;
        st.end()
    }

    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Lists;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("compact neighbour lists or an array of [item, similarity] lists")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Lists, A::Error> {
            let mut out = Vec::new();
            while let Some(l) = a.next_element::<Vec<(ItemIdx, f32)>>()? {
                out.push(l);
            }
            Ok(out)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Lists, A::Error> {
            let (mut len, mut idx, mut sim) = (None, None, None);
            while let Some(key) = a.next_key::<String>()? {
                let val: String = a.next_value()?;
                match key.as_str() {
                    "len" => len = Some(decode_varints::<A::Error>(&val)?),
                    "idx" => idx = Some(decode_varints::<A::Error>(&val)?),
                    "sim" => sim = Some(decode_f32::<A::Error>(&val)?),
                    _ => {}
                }
            }
            let (Some(len), Some(idx), Some(sim)) = (len, idx, sim) else {
                return Err(de::Error::custom("neighbour lists: missing len/idx/sim"));
            };
            let total: u64 = len.iter().map(|&n| n as u64).sum();
            if idx.len() as u64 != total || sim.len() as u64 != total {
                return Err(de::Error::custom("neighbour lists: inconsistent lengths"));
            }
            let mut out = Vec::with_capacity(len.len());
            let mut p = 0usize;
            for n in len {
                let n = n as usize;
                let mut l = Vec::with_capacity(n);
                let mut prev = 0u32;
                for (q, (&g, &w)) in idx[p..p + n].iter().zip(&sim[p..p + n]).enumerate() {
                    let i = if q == 0 { g } else { prev.saturating_add(g) };
                    prev = i;
                    l.push((ItemIdx(i), w));
                }
                canonical(&mut l);
                out.push(l);
                p += n;
            }
            Ok(out)
        }
    }

    /// Reads either encoding.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Lists, D::Error> {
        if d.is_human_readable() {
            d.deserialize_any(V)
        } else {
            Lists::deserialize(d)
        }
    }
}

/// `#[serde(with = "compact::json")]` for a free-form `serde_json::Value` (a model's
/// parameters): itself in human-readable formats, its JSON text in binary ones (which cannot
/// describe an arbitrary value).
pub mod json {
    use super::*;

    /// Serialises as the value itself or as its JSON text.
    pub fn serialize<S: Serializer>(v: &serde_json::Value, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            v.serialize(s)
        } else {
            s.serialize_str(&v.to_string())
        }
    }

    /// Reads what [`serialize`] wrote.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<serde_json::Value, D::Error> {
        if d.is_human_readable() {
            serde_json::Value::deserialize(d)
        } else {
            let text = String::deserialize(d)?;
            serde_json::from_str(&text).map_err(de::Error::custom)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct T {
        #[serde(with = "f32s")]
        v: Vec<f32>,
        #[serde(with = "neighbours")]
        n: Vec<Vec<(ItemIdx, f32)>>,
    }

    #[test]
    fn arrays_round_trip_exactly_and_old_json_is_read() {
        let t = T {
            v: vec![0.1, -3.5e-7, f32::MAX, 0.0, 1.0 / 3.0],
            n: vec![
                vec![(ItemIdx(70000), 0.9), (ItemIdx(3), 0.5), (ItemIdx(9), 0.5)],
                vec![],
                vec![(ItemIdx(0), 0.25)],
            ],
        };
        let json = serde_json::to_string(&t).unwrap();
        assert!(json.len() < 120, "{json}");
        let back: T = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
        let old = r#"{"v":[1.5,null],"n":[[[2,0.5]],[]]}"#;
        let o: T = serde_json::from_str(old).unwrap();
        assert_eq!(o.v[0], 1.5);
        assert!(o.v[1].is_nan());
        assert_eq!(o.n, vec![vec![(ItemIdx(2), 0.5)], vec![]]);
        let nan = T {
            v: vec![f32::NAN],
            n: vec![],
        };
        let b: T = serde_json::from_str(&serde_json::to_string(&nan).unwrap()).unwrap();
        assert!(b.v[0].is_nan());
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct P {
        #[serde(with = "json")]
        params: serde_json::Value,
        #[serde(with = "f32s")]
        v: Vec<f32>,
    }

    #[test]
    fn binary_encoding_keeps_values_and_arrays_exact() {
        let p = P {
            params: serde_json::json!({"factors": 64, "reg": 0.05, "names": ["a", null]}),
            v: vec![0.1, f32::MIN_POSITIVE, -2.5],
        };
        let bytes = postcard::to_allocvec(&p).unwrap();
        assert!(bytes.len() < 80, "{}", bytes.len());
        assert_eq!(postcard::from_bytes::<P>(&bytes).unwrap(), p);
        let text = serde_json::to_string(&p).unwrap();
        assert!(text.starts_with(r#"{"params":{"#), "{text}");
        assert_eq!(serde_json::from_str::<P>(&text).unwrap(), p);
    }
}
