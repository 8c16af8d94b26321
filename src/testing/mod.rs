//! Test and benchmark support (feature `testing`): seeded synthetic vector sets,
//! metadata at chosen selectivities, benefit-like sentences, and brute-force search to
//! measure recall against. Not part of the product; the CLI's benchmarks and the
//! integration tests use it.

pub mod synthetic;
