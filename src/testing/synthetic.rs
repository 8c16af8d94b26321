//! Deterministic data for tests and benchmarks: clustered unit vectors (closer to real
//! sentence embeddings than uniform noise, which no graph index helps), metadata for
//! selectivity filters, benefit-like sentences for real embeddings, and brute force.
//! Nothing here is used by search itself.

use serde_json::{json, Map, Value};

use crate::vector::{dot, l2_normalize};

/// xorshift64*: reproducible without a rand dependency; callers print their seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (0 is replaced by 1).
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }
    /// Next 64 random bits.
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
    /// Roughly normal, mean 0 (sum of four uniforms).
    pub fn normal(&mut self) -> f32 {
        (0..4).map(|_| self.f32()).sum::<f32>() - 2.0
    }
    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

fn unit(mut v: Vec<f32>) -> Vec<f32> {
    l2_normalize(&mut v);
    v
}

/// Cluster centres for [`clustered`]; share them between a collection and its queries.
pub fn centres(rng: &mut Rng, clusters: usize, dims: usize) -> Vec<Vec<f32>> {
    (0..clusters)
        .map(|_| unit((0..dims).map(|_| rng.normal()).collect()))
        .collect()
}

/// `n` unit vectors (row-major) around the centres; `spread` sets the distance to them.
pub fn clustered(rng: &mut Rng, centres: &[Vec<f32>], n: usize, spread: f32) -> Vec<f32> {
    let dims = centres.first().map_or(0, Vec::len);
    let mut out = Vec::with_capacity(n * dims);
    for _ in 0..n {
        let c = &centres[rng.below(centres.len() as u64) as usize];
        out.extend(unit(c.iter().map(|x| x + spread * rng.normal()).collect()));
    }
    out
}

/// Metadata rows: `policy` among `policies`, `bucket` 0..99 (so `bucket < 1`, `< 10`,
/// `< 50` select about 1 %, 10 %, 50 %), `chunk_index`, and a list-valued `tags`.
pub fn metadata(rng: &mut Rng, n: usize, policies: &[&str]) -> Vec<Map<String, Value>> {
    (0..n)
        .map(|i| {
            let mut m = Map::new();
            m.insert(
                "policy".into(),
                policies[rng.below(policies.len() as u64) as usize].into(),
            );
            m.insert("bucket".into(), rng.below(100).into());
            m.insert("chunk_index".into(), i.into());
            let tags = if i % 3 == 0 {
                json!(["dental", "vision"])
            } else {
                json!(["medical"])
            };
            m.insert("tags".into(), tags);
            m
        })
        .collect()
}

/// Exact top k of `vectors` (row-major) under `accept`, best first (ties: lower row).
/// The baseline a careful brute-force store would use: one pass with a bounded min-heap
/// of k entries, so memory is O(k) however many rows there are.
pub fn brute_force(
    vectors: &[f32],
    dims: usize,
    query: &[f32],
    k: usize,
    accept: impl Fn(usize) -> bool,
) -> Vec<(usize, f32)> {
    use std::cmp::{Ordering, Reverse};
    use std::collections::BinaryHeap;
    /// Orders by score, then prefers the lower row: the heap's minimum is the worst kept.
    #[derive(PartialEq)]
    struct Ranked(f32, usize);
    impl Eq for Ranked {}
    impl PartialOrd for Ranked {
        fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
            Some(self.cmp(other))
        }
    }
    impl Ord for Ranked {
        fn cmp(&self, other: &Self) -> Ordering {
            self.0.total_cmp(&other.0).then(other.1.cmp(&self.1))
        }
    }
    if k == 0 {
        return Vec::new();
    }
    let mut heap: BinaryHeap<Reverse<Ranked>> = BinaryHeap::with_capacity(k + 1);
    for (i, v) in vectors.chunks(dims).enumerate() {
        if !accept(i) {
            continue;
        }
        let r = Ranked(dot(v, query), i);
        if heap.len() < k {
            heap.push(Reverse(r));
        } else if heap.peek().is_some_and(|Reverse(worst)| r > *worst) {
            heap.pop();
            heap.push(Reverse(r));
        }
    }
    // Ascending by Reverse = descending by rank: best first.
    heap.into_sorted_vec()
        .into_iter()
        .map(|Reverse(Ranked(s, i))| (i, s))
        .collect()
}

/// Mean cosine of each of the first `sample` rows to its nearest other row: how
/// clustered a set is (real MiniLM sentence sets sit far above uniform noise's ≈ 0.2).
pub fn mean_nearest_cosine(vectors: &[f32], dims: usize, sample: usize) -> f32 {
    let n = vectors.len() / dims.max(1);
    let sample = sample.min(n);
    if sample == 0 || n < 2 {
        return 0.0;
    }
    let total: f32 = (0..sample)
        .map(|i| {
            let q = &vectors[i * dims..(i + 1) * dims];
            vectors
                .chunks(dims)
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(_, v)| dot(q, v))
                .fold(f32::NEG_INFINITY, f32::max)
        })
        .sum();
    total / sample as f32
}

/// `n` distinct benefit-like sentences, deterministic, for real-embedding benchmarks.
pub fn benefit_sentences(rng: &mut Rng, n: usize) -> Vec<String> {
    const PLANS: [&str; 6] = [
        "PPO Plus",
        "HMO Select",
        "HDHP Saver",
        "the Bronze plan",
        "the Gold plan",
        "your plan",
    ];
    const SERVICES: [&str; 24] = [
        "an annual physical",
        "a specialist visit",
        "an emergency room visit",
        "urgent care",
        "a CT scan",
        "an MRI",
        "physical therapy",
        "a generic prescription",
        "a Tier 2 brand drug",
        "a specialty drug",
        "a telehealth visit",
        "therapy with a counselor",
        "an inpatient stay",
        "outpatient surgery",
        "lab work",
        "a mammogram",
        "a colonoscopy",
        "prenatal care",
        "a well-child visit",
        "chiropractic care",
        "an ambulance ride",
        "hearing aids",
        "an eye exam",
        "a dental cleaning",
    ];
    const TEMPLATES: [&str; 10] = [
        "With {plan}, {service} costs a ${n} copay in network.",
        "{plan} pays {p}% of {service} after you meet the deductible.",
        "Out of network, {service} is covered at {p}% coinsurance under {plan}.",
        "You need prior authorization from {plan} before {service}.",
        "Does {plan} cover {service} if I am traveling?",
        "{service} counts toward the ${n} deductible on {plan}.",
        "Members of {plan} pay nothing for {service} once the out-of-pocket maximum of ${n} is reached.",
        "How much will {service} cost me on {plan}?",
        "{plan} limits {service} to {m} visits per year.",
        "A referral is required for {service} under {plan}, and the copay is ${n}.",
    ];
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let t = TEMPLATES[rng.below(TEMPLATES.len() as u64) as usize];
        let s = t
            .replace("{plan}", PLANS[rng.below(PLANS.len() as u64) as usize])
            .replace(
                "{service}",
                SERVICES[rng.below(SERVICES.len() as u64) as usize],
            )
            .replace("{n}", &(5 * (1 + rng.below(400))).to_string())
            .replace("{p}", &(10 * (1 + rng.below(9))).to_string())
            .replace("{m}", &(1 + rng.below(60)).to_string());
        let mut chars = s.chars();
        let s = match chars.next() {
            Some(c) => c.to_uppercase().collect::<String>() + chars.as_str(),
            None => s,
        };
        if seen.insert(s.clone()) {
            out.push(s);
        }
    }
    out
}
