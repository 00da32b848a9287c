//! Macros that run a generic kernel body for the element type of a runtime [`crate::DType`].

/// Run `$body` with `$t` bound to the Rust type of `$dtype`, for every dtype.
macro_rules! dispatch_all {
    ($dtype:expr, $t:ident => $body:expr) => {
        match $dtype {
            $crate::core::DType::F32 => {
                type $t = f32;
                $body
            }
            $crate::core::DType::F64 => {
                type $t = f64;
                $body
            }
            $crate::core::DType::F16 => {
                type $t = half::f16;
                $body
            }
            $crate::core::DType::BF16 => {
                type $t = half::bf16;
                $body
            }
            $crate::core::DType::I64 => {
                type $t = i64;
                $body
            }
            $crate::core::DType::Bool => {
                type $t = bool;
                $body
            }
        }
    };
}

/// Run `$body` with `$t` bound to the float type of `$dtype`, or return a dtype error naming `$op`.
macro_rules! dispatch_float {
    ($op:expr, $dtype:expr, $t:ident => $body:expr) => {
        match $dtype {
            $crate::core::DType::F32 => {
                type $t = f32;
                $body
            }
            $crate::core::DType::F64 => {
                type $t = f64;
                $body
            }
            other => {
                return Err($crate::core::Error::dtype(
                    $op,
                    format!("expected a floating-point tensor, got {other}"),
                ))
            }
        }
    };
}

pub(crate) use dispatch_all;
pub(crate) use dispatch_float;
