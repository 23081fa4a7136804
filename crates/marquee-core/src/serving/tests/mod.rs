//! Tests of the whole pipeline: a small hand-built catalogue for the correctness cases, and a
//! random (seeded) catalogue for property checks.
mod correctness;
mod fixtures;
mod properties;
