//! Reading the digits CSV (gzip) and splitting it into train and test sets.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use cotangent::{DType, Tensor};
use flate2::read::GzDecoder;

use crate::demos::SplitMix;
use crate::error::NnError;

/// Where the crate keeps the data file (`examples/data/digits.csv.gz` in this crate).
///
/// ```
/// assert!(std::path::Path::new(cotangent_nn::demos::digits::DIGITS_PATH).exists());
/// ```
pub const DIGITS_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/digits.csv.gz");

/// Images and labels.
///
/// ```
/// use cotangent_nn::demos::digits::{Digits, DIGITS_PATH};
/// let d = Digits::load(DIGITS_PATH).unwrap();
/// assert_eq!(d.len(), 1797);
/// assert_eq!(d.images.dims(), &[1797, 64]);
/// ```
#[derive(Debug, Clone)]
pub struct Digits {
    /// `[n, 64]` f32 pixel intensities scaled to `[0, 1]` (the file's 0..16 divided by 16).
    pub images: Tensor,
    /// `[n]` i64 labels 0..9.
    pub labels: Tensor,
}

impl Digits {
    /// Read a gzip-compressed CSV of rows `p0,…,p63,label`.
    ///
    /// ```
    /// let err = cotangent_nn::demos::digits::Digits::load("/nonexistent.csv.gz").unwrap_err();
    /// assert!(err.to_string().contains("/nonexistent.csv.gz"));
    /// ```
    pub fn load(path: impl AsRef<Path>) -> Result<Digits, NnError> {
        let path = path.as_ref();
        let file = std::fs::File::open(path).map_err(|source| NnError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(GzDecoder::new(file), &path.display().to_string())
    }

    /// Parse uncompressed CSV text of rows `p0,…,p63,label`; `origin` is named in errors.
    ///
    /// ```
    /// use cotangent_nn::demos::digits::Digits;
    /// let row = format!("{}7\n", "16,".repeat(64));
    /// let d = Digits::parse(row.as_bytes(), "<text>").unwrap();
    /// assert_eq!(d.labels.to_vec::<i64>(), vec![7]);
    /// assert_eq!(d.images.to_vec::<f32>()[0], 1.0);
    /// ```
    pub fn parse(reader: impl Read, origin: &str) -> Result<Digits, NnError> {
        let mut pixels: Vec<f32> = Vec::new();
        let mut labels: Vec<i64> = Vec::new();
        let bad = |line: usize, message: String| NnError::Data {
            origin: format!("{origin}:{line}"),
            message,
        };
        for (i, line) in BufReader::new(reader).lines().enumerate() {
            let line = line.map_err(|e| bad(i + 1, e.to_string()))?;
            if line.trim().is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.trim().split(',').collect();
            if fields.len() != 65 {
                return Err(bad(i + 1, format!("{} fields, expected 65", fields.len())));
            }
            for f in &fields[..64] {
                let v: f32 = f
                    .parse()
                    .map_err(|_| bad(i + 1, format!("pixel `{f}` is not a number")))?;
                pixels.push(v / 16.0);
            }
            let label: i64 = fields[64]
                .parse()
                .ok()
                .filter(|l| (0..10).contains(l))
                .ok_or_else(|| bad(i + 1, format!("label `{}` is not 0..9", fields[64])))?;
            labels.push(label);
        }
        let n = labels.len();
        Ok(Digits {
            images: Tensor::from_vec(pixels, &[n, 64]),
            labels: Tensor::from_vec(labels, &[n]),
        })
    }

    /// Number of images.
    ///
    /// ```
    /// use cotangent_nn::demos::digits::{Digits, DIGITS_PATH};
    /// assert!(!Digits::load(DIGITS_PATH).unwrap().is_empty());
    /// ```
    pub fn len(&self) -> usize {
        self.labels.numel()
    }

    /// Whether there are no images.
    ///
    /// ```
    /// use cotangent_nn::demos::digits::Digits;
    /// assert!(Digits::parse(&b""[..], "<empty>").unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rows at `idx` (i64 `[k]`).
    ///
    /// ```
    /// use cotangent::Tensor;
    /// use cotangent_nn::demos::digits::{Digits, DIGITS_PATH};
    /// let d = Digits::load(DIGITS_PATH).unwrap();
    /// assert_eq!(d.select(&Tensor::from_vec(vec![0i64, 5], &[2])).len(), 2);
    /// ```
    pub fn select(&self, idx: &Tensor) -> Digits {
        Digits {
            images: self.images.index_select(0, idx),
            labels: self.labels.index_select(0, idx),
        }
    }

    /// A seeded random split into `(train, test)` with `round(test_fraction · n)` test images.
    ///
    /// ```
    /// use cotangent_nn::demos::digits::{Digits, DIGITS_PATH};
    /// let (train, test) = Digits::load(DIGITS_PATH).unwrap().split(0.2, 0);
    /// assert_eq!((train.len(), test.len()), (1438, 359));
    /// ```
    pub fn split(&self, test_fraction: f64, seed: u64) -> (Digits, Digits) {
        let n = self.len();
        let n_test = ((n as f64) * test_fraction).round() as usize;
        let mut order: Vec<i64> = (0..n as i64).collect();
        SplitMix::new(seed).shuffle(&mut order);
        let take = |ix: &[i64]| self.select(&Tensor::from_vec(ix.to_vec(), &[ix.len()]));
        (take(&order[n_test..]), take(&order[..n_test]))
    }

    /// The images cast to `dtype` (they are stored as f32).
    ///
    /// ```
    /// use cotangent::DType;
    /// use cotangent_nn::demos::digits::{Digits, DIGITS_PATH};
    /// let d = Digits::load(DIGITS_PATH).unwrap();
    /// assert_eq!(d.images_as(DType::F64).dtype(), DType::F64);
    /// ```
    pub fn images_as(&self, dtype: DType) -> Tensor {
        self.images.cast(dtype)
    }
}
