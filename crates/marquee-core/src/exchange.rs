//! Factor files: a [`FactorModel`] as a folder of NumPy `.npy` arrays and a JSON manifest, so ALS
//! trained elsewhere (Spark MLlib, `implicit`, anything that writes NumPy) can be served, and
//! Marquee's own factors read by anything that reads NumPy. The layout (`docs/scaling.md`):
//!
//! | file | contents |
//! |---|---|
//! | `manifest.json` | `format` = `"marquee-factors"`, `formatVersion` = 1, `factors`, `als` (`reg`, `alpha`, `negative_below` for fold-in), optional `ranking` recipe, optional `trainedAt` (Unix seconds), `source` |
//! | `users.npy` | external user ids, `int64` or `int32`, shape `(n_users,)` |
//! | `items.npy` | external item (movie) ids, `int64` or `int32`, shape `(n_items,)` |
//! | `user_factors.npy` | `float32` or `float64`, shape `(n_users, factors)`, C order |
//! | `item_factors.npy` | `float32` or `float64`, shape `(n_items, factors)`, C order |

use crate::recommender::als::AlsParams;
use crate::recommender::factors::{FactorModel, Recipe};
use ndarray::{Array1, Array2};
use ndarray_npy::{ReadNpyError, ReadNpyExt, WriteNpyExt};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// `format` of the manifest.
pub const FORMAT: &str = "marquee-factors";
/// `formatVersion` this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Largest latent dimension accepted.
pub const MAX_FACTORS: usize = 1024;

/// Why a factor folder cannot be written or read.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// A file could not be opened, read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file is not what the layout says it is.
    #[error("{path}: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// Latent dimension.
    pub factors: usize,
    /// Rows of `users.npy` (informative; the arrays are checked against each other).
    #[serde(default)]
    pub users: usize,
    /// Rows of `items.npy`.
    #[serde(default)]
    pub items: usize,
    /// What fold-in uses.
    #[serde(default)]
    pub als: FoldInParams,
    /// The ranking blend around ALS; absent = ALS alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranking: Option<Recipe>,
    /// Unix seconds of training.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trained_at: Option<i64>,
    /// Free text: what wrote the folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// The ALS parameters fold-in uses (defaults: Marquee's ALS defaults).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct FoldInParams {
    /// L2 regularisation λ.
    pub reg: f32,
    /// Confidence scale α in `c = 1 + α|w|`.
    pub alpha: f32,
    /// Ratings below this are negative feedback (`null`: every rating is positive).
    pub negative_below: Option<f32>,
}

impl Default for FoldInParams {
    fn default() -> Self {
        let d = AlsParams::default();
        FoldInParams {
            reg: d.reg,
            alpha: d.alpha,
            negative_below: d.negative_below,
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ExchangeError + '_ {
    move |source| ExchangeError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn invalid(path: &Path, reason: impl Into<String>) -> ExchangeError {
    ExchangeError::Invalid {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Writes `m` into `dir` (created if missing; files of the layout are replaced). `source` goes
/// into the manifest.
pub fn write(dir: &Path, m: &FactorModel, source: &str) -> Result<(), ExchangeError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let k = m.factors;
    write_file(&dir.join("users.npy"), |w| write_ids(w, &m.users))?;
    write_file(&dir.join("items.npy"), |w| write_ids(w, &m.items))?;
    write_file(&dir.join("user_factors.npy"), |w| {
        write_matrix(w, &m.user_factors, m.users.len(), k)
    })?;
    write_file(&dir.join("item_factors.npy"), |w| {
        write_matrix(w, &m.item_factors, m.items.len(), k)
    })?;
    let manifest = Manifest {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        factors: k,
        users: m.users.len(),
        items: m.items.len(),
        als: FoldInParams {
            reg: m.als.reg,
            alpha: m.als.alpha,
            negative_below: m.als.negative_below,
        },
        ranking: m.recipe.clone(),
        trained_at: m.trained_at,
        source: Some(source.into()),
    };
    let path = dir.join("manifest.json");
    let text =
        serde_json::to_string_pretty(&manifest).map_err(|e| invalid(&path, e.to_string()))?;
    std::fs::write(&path, text + "\n").map_err(io(&path))
}

fn write_file(
    path: &Path,
    f: impl FnOnce(&mut BufWriter<File>) -> Result<(), String>,
) -> Result<(), ExchangeError> {
    let mut w = BufWriter::new(File::create(path).map_err(io(path))?);
    f(&mut w).map_err(|e| invalid(path, e))?;
    w.flush().map_err(io(path))
}

fn write_ids(w: &mut BufWriter<File>, ids: &[i64]) -> Result<(), String> {
    Array1::from(ids.to_vec())
        .write_npy(w)
        .map_err(|e| e.to_string())
}

fn write_matrix(w: &mut BufWriter<File>, v: &[f32], rows: usize, k: usize) -> Result<(), String> {
    let a = ndarray::ArrayView2::from_shape((rows, k), v).map_err(|e| e.to_string())?;
    a.write_npy(w).map_err(|e| e.to_string())
}

/// Reads a folder written by [`write`] or by any tool that follows the layout, checking that the
/// arrays agree with each other and with the manifest, ids are unique and values finite.
pub fn read(dir: &Path) -> Result<FactorModel, ExchangeError> {
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(io(&path))?;
    let manifest: Manifest =
        serde_json::from_str(&text).map_err(|e| invalid(&path, e.to_string()))?;
    if manifest.format != FORMAT {
        return Err(invalid(
            &path,
            format!("format is {:?}, expected {FORMAT:?}", manifest.format),
        ));
    }
    if manifest.format_version != FORMAT_VERSION {
        return Err(invalid(
            &path,
            format!(
                "formatVersion {} is not one this build reads ({FORMAT_VERSION})",
                manifest.format_version
            ),
        ));
    }
    let k = manifest.factors;
    if k == 0 || k > MAX_FACTORS {
        return Err(invalid(
            &path,
            format!("factors must be 1 to {MAX_FACTORS}, not {k}"),
        ));
    }
    let users = read_ids(&dir.join("users.npy"))?;
    let items = read_ids(&dir.join("items.npy"))?;
    let user_factors = read_matrix(&dir.join("user_factors.npy"), users.len(), k)?;
    let item_factors = read_matrix(&dir.join("item_factors.npy"), items.len(), k)?;
    Ok(FactorModel {
        users,
        items,
        factors: k,
        user_factors,
        item_factors,
        als: AlsParams {
            factors: k,
            reg: manifest.als.reg,
            alpha: manifest.als.alpha,
            negative_below: manifest.als.negative_below,
            ..AlsParams::default()
        },
        recipe: manifest.ranking,
        trained_at: manifest.trained_at,
    })
}

fn open(path: &Path) -> Result<BufReader<File>, ExchangeError> {
    Ok(BufReader::new(File::open(path).map_err(io(path))?))
}

/// Reads an array of either element type; `WrongDescriptor` means "the other type".
fn read_either<A: ReadNpyExt, B: ReadNpyExt>(path: &Path) -> Result<Result<A, B>, ExchangeError> {
    match A::read_npy(open(path)?) {
        Ok(a) => Ok(Ok(a)),
        Err(ReadNpyError::WrongDescriptor(_)) => B::read_npy(open(path)?)
            .map(Err)
            .map_err(|e| invalid(path, e.to_string())),
        Err(e) => Err(invalid(path, e.to_string())),
    }
}

fn read_ids(path: &Path) -> Result<Vec<i64>, ExchangeError> {
    let ids: Vec<i64> = match read_either::<Array1<i64>, Array1<i32>>(path)? {
        Ok(a) => a.to_vec(),
        Err(b) => b.iter().map(|&x| x as i64).collect(),
    };
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
        return Err(invalid(path, format!("id {} appears twice", w[0])));
    }
    Ok(ids)
}

fn read_matrix(path: &Path, rows: usize, k: usize) -> Result<Vec<f32>, ExchangeError> {
    let a: Array2<f32> = match read_either::<Array2<f32>, Array2<f64>>(path)? {
        Ok(a) => a,
        Err(b) => b.mapv(|x| x as f32),
    };
    if a.dim() != (rows, k) {
        return Err(invalid(
            path,
            format!(
                "shape is {:?}, expected ({rows}, {k}) (ids × manifest factors)",
                a.dim()
            ),
        ));
    }
    if a.iter().any(|x| !x.is_finite()) {
        return Err(invalid(path, "holds a value that is not a finite number"));
    }
    Ok(a.as_standard_layout().iter().copied().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommender::hybrid::HybridParams;

    fn model() -> FactorModel {
        FactorModel {
            users: vec![7, 3, 11],
            items: vec![100, 200],
            factors: 2,
            user_factors: vec![0.5, -1.0, 2.0, 0.25, 0.0, 1.5],
            item_factors: vec![1.0, 2.0, -3.0, 0.125],
            als: AlsParams {
                factors: 2,
                reg: 20.0,
                alpha: 3.0,
                negative_below: Some(2.5),
                ..Default::default()
            },
            recipe: Some(Recipe {
                params: HybridParams::ranking(),
                weights: vec![vec![0.0, 1.0, 0.5, 0.1]; 3],
            }),
            trained_at: Some(1_700_000_000),
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("marquee-exchange-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn a_factor_folder_round_trips_and_states_its_layout() {
        let dir = scratch("round-trip");
        let m = model();
        write(&dir, &m, "test").unwrap();
        assert_eq!(read(&dir).unwrap(), m);
        let manifest: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap())
                .unwrap();
        assert_eq!(manifest["format"], FORMAT);
        assert_eq!(manifest["formatVersion"], 1);
        assert_eq!(manifest["factors"], 2);
        assert_eq!(manifest["users"], 3);
        // the NumPy header others read: little-endian float32, C order, users × factors
        let npy = std::fs::read(dir.join("user_factors.npy")).unwrap();
        assert_eq!(&npy[..6], b"\x93NUMPY");
        let header = String::from_utf8_lossy(&npy[10..80]);
        assert!(header.contains("'descr': '<f4'"), "{header}");
        assert!(header.contains("'fortran_order': False"), "{header}");
        assert!(header.contains("'shape': (3, 2)"), "{header}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn other_element_types_are_read_and_bad_folders_are_refused_by_file() {
        let dir = scratch("others");
        let m = model();
        write(&dir, &m, "test").unwrap();
        // int32 ids and float64 factors, as Spark or NumPy defaults write them
        let ids = Array1::from(vec![7i32, 3, 11]);
        ids.write_npy(File::create(dir.join("users.npy")).unwrap())
            .unwrap();
        let f64s = Array2::from_shape_vec((2, 2), vec![1.0f64, 2.0, -3.0, 0.125]).unwrap();
        f64s.write_npy(File::create(dir.join("item_factors.npy")).unwrap())
            .unwrap();
        assert_eq!(read(&dir).unwrap(), m);

        let refuse = |what: &str, fix: &dyn Fn(&Path)| {
            write(&dir, &m, "test").unwrap();
            fix(&dir);
            let e = read(&dir).unwrap_err().to_string();
            assert!(e.contains(what), "{what}: {e}");
        };
        refuse("users.npy: id 7 appears twice", &|d| {
            Array1::from(vec![7i64, 7, 11])
                .write_npy(File::create(d.join("users.npy")).unwrap())
                .unwrap()
        });
        refuse("item_factors.npy: shape is (2, 3)", &|d| {
            Array2::<f32>::zeros((2, 3))
                .write_npy(File::create(d.join("item_factors.npy")).unwrap())
                .unwrap()
        });
        refuse(
            "user_factors.npy: holds a value that is not a finite",
            &|d| {
                Array2::from_elem((3, 2), f32::NAN)
                    .write_npy(File::create(d.join("user_factors.npy")).unwrap())
                    .unwrap()
            },
        );
        refuse("manifest.json: formatVersion 2", &|d| {
            let p = d.join("manifest.json");
            let t = std::fs::read_to_string(&p).unwrap();
            std::fs::write(
                &p,
                t.replace("\"formatVersion\": 1", "\"formatVersion\": 2"),
            )
            .unwrap()
        });
        refuse("items.npy", &|d| {
            std::fs::remove_file(d.join("items.npy")).unwrap()
        });
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
