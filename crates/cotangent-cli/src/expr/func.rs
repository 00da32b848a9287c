//! The built-in functions: their names, arities and `f64` values.
//!
//! [`Func`] is generated from one table so that the name lookup, the arity and
//! the list of all functions cannot drift apart. `f64` evaluation lives here
//! too, including an `erf`, which the standard library lacks on stable Rust.

macro_rules! funcs {
    ($($variant:ident => $name:literal, $arity:literal;)*) => {
        /// A built-in function that can be called as `name(args...)`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Func {
            $(
                #[doc = concat!("`", $name, "`, taking ", stringify!($arity), " argument(s).")]
                $variant,
            )*
        }

        impl Func {
            /// Every built-in function, in a fixed order.
            pub const ALL: &'static [Func] = &[$(Func::$variant),*];

            /// Looks a function up by its source name (case-sensitive).
            pub fn from_name(name: &str) -> Option<Func> {
                // Cheap rejection of most variable names (all function names
                // are 3 to 8 bytes long).
                if !(3..=8).contains(&name.len()) {
                    return None;
                }
                match name {
                    $($name => Some(Func::$variant),)*
                    _ => None,
                }
            }

            /// The function's source name, e.g. `"atan2"`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Func::$variant => $name,)*
                }
            }

            /// How many arguments the function takes (1 or 2).
            pub fn arity(self) -> usize {
                match self {
                    $(Func::$variant => $arity,)*
                }
            }
        }
    };
}

funcs! {
    Sin => "sin", 1;
    Cos => "cos", 1;
    Tan => "tan", 1;
    Asin => "asin", 1;
    Acos => "acos", 1;
    Atan => "atan", 1;
    Sinh => "sinh", 1;
    Cosh => "cosh", 1;
    Tanh => "tanh", 1;
    Asinh => "asinh", 1;
    Acosh => "acosh", 1;
    Atanh => "atanh", 1;
    Exp => "exp", 1;
    Expm1 => "expm1", 1;
    Log => "log", 1;
    Log1p => "log1p", 1;
    Log2 => "log2", 1;
    Log10 => "log10", 1;
    Sqrt => "sqrt", 1;
    Cbrt => "cbrt", 1;
    Abs => "abs", 1;
    Sigmoid => "sigmoid", 1;
    Relu => "relu", 1;
    Softplus => "softplus", 1;
    Erf => "erf", 1;
    Exp2 => "exp2", 1;
    Floor => "floor", 1;
    Ceil => "ceil", 1;
    Round => "round", 1;
    Sign => "sign", 1;
    Pow => "pow", 2;
    Atan2 => "atan2", 2;
    Max => "max", 2;
    Min => "min", 2;
    Hypot => "hypot", 2;
}

impl Func {
    /// Every function name, sorted and comma-separated (`abs, acos, …`), for
    /// the hint of an unknown-function error.
    pub fn known_names() -> String {
        let mut names: Vec<&str> = Func::ALL.iter().map(|f| f.name()).collect();
        names.sort_unstable();
        names.join(", ")
    }

    /// Evaluates the function on `f64` arguments. `log` is the natural
    /// logarithm; `sigmoid(x) = 1/(1+e^-x)`, `relu(x) = max(x, 0)`,
    /// `softplus(x) = ln(1+e^x)`, `exp2(x) = 2^x`; `round` rounds half to even (as
    /// NumPy and the library), `sign` is -1, 0 or 1 (`sign(±0) = ±0`, NaN stays NaN).
    ///
    /// # Panics
    ///
    /// Panics if `args.len()` is not [`Func::arity`].
    pub fn apply_f64(self, args: &[f64]) -> f64 {
        assert_eq!(args.len(), self.arity(), "wrong number of arguments");
        let x = args[0];
        match self {
            Func::Sin => x.sin(),
            Func::Cos => x.cos(),
            Func::Tan => x.tan(),
            Func::Asin => x.asin(),
            Func::Acos => x.acos(),
            Func::Atan => x.atan(),
            Func::Sinh => x.sinh(),
            Func::Cosh => x.cosh(),
            Func::Tanh => x.tanh(),
            Func::Asinh => x.asinh(),
            Func::Acosh => x.acosh(),
            Func::Atanh => x.atanh(),
            Func::Exp => x.exp(),
            Func::Expm1 => x.exp_m1(),
            Func::Log => x.ln(),
            Func::Log1p => x.ln_1p(),
            Func::Log2 => x.log2(),
            Func::Log10 => x.log10(),
            Func::Sqrt => x.sqrt(),
            Func::Cbrt => x.cbrt(),
            Func::Abs => x.abs(),
            Func::Sigmoid => sigmoid(x),
            Func::Relu => {
                if x > 0.0 || x.is_nan() {
                    x
                } else {
                    0.0
                }
            }
            Func::Softplus => x.max(0.0) + (-x.abs()).exp().ln_1p(),
            Func::Erf => erf(x),
            Func::Exp2 => x.exp2(),
            Func::Floor => x.floor(),
            Func::Ceil => x.ceil(),
            Func::Round => x.round_ties_even(),
            Func::Sign => sign(x),
            Func::Pow => x.powf(args[1]),
            Func::Atan2 => x.atan2(args[1]),
            Func::Max => x.max(args[1]),
            Func::Min => x.min(args[1]),
            Func::Hypot => x.hypot(args[1]),
        }
    }
}

/// -1, 0 or 1, keeping the sign of a zero and NaN (unlike `f64::signum`).
fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        x
    }
}

fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let t = x.exp();
        t / (1.0 + t)
    }
}

/// The error function, accurate to a few ulps (std has no stable `erf`).
///
/// For |x| < 3 it sums the all-positive series
/// `erf(x) = 2/sqrt(pi) e^(-x²) Σ (2x²)^n x / (1·3·…·(2n+1))`; for larger |x|
/// it uses `1 - erfc(x)` with erfc's continued fraction.
fn erf(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    let a = x.abs();
    let r = if a < 3.0 {
        let x2 = a * a;
        let (mut term, mut sum, mut n) = (a, a, 0.0);
        while term > sum * 1e-17 {
            n += 1.0;
            term *= 2.0 * x2 / (2.0 * n + 1.0);
            sum += term;
        }
        std::f64::consts::FRAC_2_SQRT_PI * (-x2).exp() * sum
    } else if a < 6.0 {
        // erfc(a) = e^(-a²)/sqrt(pi) / (a + (1/2)/(a + 1/(a + (3/2)/(a + ...))))
        let mut frac = a;
        for k in (1..=60).rev() {
            frac = a + f64::from(k) * 0.5 / frac;
        }
        1.0 - (-a * a).exp() / (std::f64::consts::PI.sqrt() * frac)
    } else {
        1.0
    };
    r.copysign(x)
}
