//! Handwritten digits: the UCI "Optical Recognition of Handwritten Digits" test set
//! (E. Alpaydin and C. Kaynak, 1998, CC BY 4.0; the copy shipped in scikit-learn 1.9.1) — 1797
//! images of 8×8 pixels with values 0..16 — classified by an MLP or a small CNN trained with AdamW.

mod cnn;
mod data;
mod train;

pub use cnn::{Classify, DigitsCnn};
pub use data::{DIGITS_PATH, Digits};
pub use train::{DigitsConfig, DigitsRun, accuracy, train, train_cnn};
