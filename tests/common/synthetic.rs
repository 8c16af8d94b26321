//! Deterministic synthetic collections for index tests: clustered unit vectors (closer
//! to real sentence embeddings than uniform noise) with metadata for filters.

use serde_json::{json, Map, Value};

/// xorshift64*: reproducible without a rand dependency; the seed is printed by tests.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in [0, 1).
    pub fn f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
    /// Roughly normal (sum of uniforms).
    pub fn normal(&mut self) -> f32 {
        (0..4).map(|_| self.f32()).sum::<f32>() - 2.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

pub fn unit(mut v: Vec<f32>) -> Vec<f32> {
    benefind::l2_normalize(&mut v);
    v
}

/// `n` unit vectors around `clusters` centres; `spread` sets how far from the centre.
pub fn clustered(rng: &mut Rng, n: usize, dims: usize, clusters: usize, spread: f32) -> Vec<f32> {
    let centres: Vec<Vec<f32>> = (0..clusters)
        .map(|_| unit((0..dims).map(|_| rng.normal()).collect()))
        .collect();
    let mut out = Vec::with_capacity(n * dims);
    for _ in 0..n {
        let c = &centres[rng.below(clusters as u64) as usize];
        out.extend(unit(c.iter().map(|x| x + spread * rng.normal()).collect()));
    }
    out
}

/// Metadata: a policy among `policies`, and `bucket` 0..99 for selectivity filters
/// (`bucket < 1` ≈ 1 %, `< 10` ≈ 10 %, `< 50` ≈ 50 %), and a `tags` list.
pub fn metadata(rng: &mut Rng, n: usize, policies: &[&str]) -> Vec<Map<String, Value>> {
    (0..n)
        .map(|i| {
            let v = json!({
                "policy": policies[rng.below(policies.len() as u64) as usize],
                "bucket": rng.below(100),
                "chunk_index": i,
                "tags": if i % 3 == 0 { json!(["dental", "vision"]) } else { json!(["medical"]) },
            });
            match v {
                Value::Object(m) => m,
                _ => unreachable!("json! object"),
            }
        })
        .collect()
}

/// Exact top k under a predicate, for recall measurements.
pub fn brute_force(
    vectors: &[f32],
    dims: usize,
    query: &[f32],
    k: usize,
    accept: impl Fn(usize) -> bool,
) -> Vec<(usize, f32)> {
    let mut all: Vec<(usize, f32)> = vectors
        .chunks(dims)
        .enumerate()
        .filter(|(i, _)| accept(*i))
        .map(|(i, v)| (i, benefind::dot(v, query)))
        .collect();
    all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    all.truncate(k);
    all
}
