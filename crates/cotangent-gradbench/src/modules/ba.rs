//! `ba`: bundle adjustment. Each observation projects a 3-d point through a camera (Rodrigues
//! rotation, perspective division, radial distortion, focal length and principal point) and
//! weighs the reprojection error; a second residual `1 - w²` per observation penalizes the
//! weights. The residuals are written for all observations at once, one row per parameter
//! (`[15, p]`: camera 11, point 3, weight), so every op works on whole rows. The Jacobian is
//! block-sparse: each observation's two residuals depend only on its own 15 parameters. So
//! `jacfwd` over one shared shift of the 15 parameters, added to every observation's, gives
//! every block at once (15 forward passes, batched); the weight residuals' derivatives are
//! `vmap(grad)`. The eval's input holds one camera, point, weight and feature, to be repeated;
//! every observation is computed all the same.

use cotangent::{grad, jacfwd, vmap, DType, Tensor};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::convert::parse;
use crate::modules::{unknown_function, Evaluation};
use crate::runs::{timed, Runs};

const CAM: usize = 11;

#[derive(Deserialize)]
struct Input {
    n: usize,
    m: usize,
    p: usize,
    cam: Vec<f64>,
    x: Vec<f64>,
    w: f64,
    feat: Vec<f64>,
}

fn index(v: &[i64]) -> Tensor {
    Tensor::from_vec(v.to_vec(), &[v.len()])
}

/// `a × b` for 3-vectors stored as the rows of `[3, p]`.
fn cross(a: &Tensor, b: &Tensor) -> Tensor {
    let (yzx, zxy) = (index(&[1, 2, 0]), index(&[2, 0, 1]));
    a.index_select(0, &yzx) * b.index_select(0, &zxy)
        - a.index_select(0, &zxy) * b.index_select(0, &yzx)
}

/// The points `pt [3, p]` rotated by the angle-axis vectors `rot [3, p]` (to first order where
/// a `rot` is zero).
fn rodrigues(rot: &Tensor, pt: &Tensor) -> Tensor {
    let sqtheta = rot.square().sum_axes(&[0], true);
    let nonzero = sqtheta.ne(&Tensor::scalar(0.0));
    // Keep the unused branch finite, so that its zero cotangent stays zero.
    let theta = nonzero.select(&sqtheta, &Tensor::scalar(1.0)).sqrt();
    let (cos, sin) = (theta.cos(), theta.sin());
    let w = rot / &theta;
    let tmp = (&w * pt).sum_axes(&[0], true) * (1.0 - &cos);
    let full = pt * &cos + cross(&w, pt) * &sin + &w * tmp;
    let small = pt + cross(rot, pt);
    nonzero.select(&full, &small)
}

/// The weighted reprojection errors `[2, p]` of all observations, from their parameters
/// `q [15, p]` (rows: camera 11, point 3, weight) and measured features `feat [2, p]`.
pub fn residuals(q: &Tensor, feat: &Tensor) -> Tensor {
    let rows = |start: usize, len: usize| q.narrow(0, start, len);
    let (rot, center, focal) = (rows(0, 3), rows(3, 3), rows(6, 1));
    let (principal, k1, k2) = (rows(7, 2), rows(9, 1), rows(10, 1));
    let (point, w) = (rows(CAM, 3), rows(CAM + 3, 1));
    let xcam = rodrigues(&rot, &(point - center));
    let proj = xcam.narrow(0, 0, 2) / xcam.narrow(0, 2, 1);
    let rsq = proj.square().sum_axes(&[0], true);
    let l = &rsq * k1 + rsq.square() * k2 + 1.0;
    let proj = proj * l * focal + principal;
    w * (proj - feat)
}

/// The problem with its input repeated: per-observation parameters `[p, 15]` and features.
struct Problem {
    n: usize,
    m: usize,
    p: usize,
    cams: Tensor,
    points: Tensor,
    weights: Tensor,
    feats: Tensor,
    cam_of: Tensor,
    point_of: Tensor,
}

impl Problem {
    fn new(i: &Input) -> Result<Problem, String> {
        if i.cam.len() != CAM || i.x.len() != 3 || i.feat.len() != 2 || i.n == 0 || i.m == 0 {
            return Err("bad input: one camera (11), point (3) and feature (2) expected".into());
        }
        let repeat = |v: &[f64], times: usize| {
            let data: Vec<f64> = (0..times).flat_map(|_| v.iter().copied()).collect();
            Tensor::from_vec(data, &[times, v.len()])
        };
        let cycle = |k: usize| -> Vec<i64> { (0..i.p).map(|j| (j % k) as i64).collect() };
        Ok(Problem {
            n: i.n,
            m: i.m,
            p: i.p,
            cams: repeat(&i.cam, i.n),
            points: repeat(&i.x, i.m),
            weights: Tensor::full(&[i.p, 1], i.w, DType::F64),
            feats: repeat(&i.feat, i.p),
            cam_of: index(&cycle(i.n)),
            point_of: index(&cycle(i.m)),
        })
    }

    /// The inputs of [`objective`] and [`jacobian`].
    fn inputs(&self) -> [Tensor; 6] {
        [
            self.cams.clone(),
            self.points.clone(),
            self.weights.clone(),
            self.feats.clone(),
            self.cam_of.clone(),
            self.point_of.clone(),
        ]
    }

    /// The sparse Jacobian's row starts and column indices (COO rows as a CSR-like list).
    fn structure(&self) -> (Vec<usize>, Vec<usize>) {
        let (n, m, p) = (self.n, self.m, self.p);
        let mut rows = vec![0];
        let mut cols = Vec::with_capacity(31 * p);
        for i in 0..p {
            let (c, pt) = (i % n, i % m);
            for _ in 0..2 {
                cols.extend(CAM * c..CAM * (c + 1));
                cols.extend(CAM * n + 3 * pt..CAM * n + 3 * (pt + 1));
                cols.push(CAM * n + 3 * m + i);
                rows.push(rows.last().copied().unwrap_or(0) + CAM + 4);
            }
        }
        for i in 0..p {
            cols.push(CAM * n + 3 * m + i);
            rows.push(rows.last().copied().unwrap_or(0) + 1);
        }
        (rows, cols)
    }
}

/// Every observation's parameters `[15, p]` from the cameras `[n, 11]`, points `[m, 3]`,
/// weights `[p, 1]` and each observation's camera and point.
fn params(
    cams: &Tensor,
    points: &Tensor,
    weights: &Tensor,
    cam_of: &Tensor,
    point_of: &Tensor,
) -> Tensor {
    Tensor::concat(
        &[
            cams.index_select(0, cam_of).t(),
            points.index_select(0, point_of).t(),
            weights.t(),
        ],
        0,
    )
}

/// Reprojection errors `[2, p]` and weight errors `[p]` (inputs as [`Problem::inputs`]).
fn objective(x: &[Tensor]) -> Vec<Tensor> {
    let q = params(&x[0], &x[1], &x[2], &x[4], &x[5]);
    let w = x[2].flatten();
    vec![residuals(&q, &x[3].t()), 1.0 - w.square()]
}

/// The blocks `[p, 2, 15]` of the reprojection errors' Jacobian and the weight errors'
/// derivatives `[p]` (inputs as [`Problem::inputs`]).
fn jacobian(x: &[Tensor]) -> Vec<Tensor> {
    let q = params(&x[0], &x[1], &x[2], &x[4], &x[5]);
    let feat = x[3].t();
    let shifted = |z: &Tensor| residuals(&(&q + z.reshape(&[CAM + 4, 1])), &feat);
    let blocks = jacfwd(shifted)(&Tensor::zeros(&[CAM + 4], DType::F64));
    let dw = vmap(grad(|w: &Tensor| 1.0 - w.square()), 0, 0)(&x[2].flatten());
    vec![blocks.permute(&[1, 0, 2]), dw]
}

/// The first 30 entries and the last, as the eval expects the sparse Jacobian.
fn abbreviate<T: Clone>(v: &[T]) -> Vec<T> {
    let mut out: Vec<T> = v.iter().take(30).cloned().collect();
    out.extend(v.last().cloned());
    out
}

/// Evaluates `objective` or `jacobian`.
pub fn evaluate(function: &str, input: &Value) -> Result<Evaluation, String> {
    let problem = Problem::new(&parse::<Input>(input)?)?;
    let runs = Runs::from_input(input);
    let p = problem.p;
    let (output, timings) = match function {
        "objective" => {
            let inputs = problem.inputs();
            let (out, t) = timed(runs, || objective(&inputs));
            let (reproj, werr) = (&out[0], &out[1]);
            let r = reproj.narrow(1, 0, 1).to_vec::<f64>();
            let out = json!({
                "reproj_error": {"elements": r, "repeated": p},
                "w_err": {"element": werr.to_vec::<f64>().first(), "repeated": p},
            });
            (out, t)
        }
        "jacobian" => {
            let inputs = problem.inputs();
            let (out, t) = timed(runs, || jacobian(&inputs));
            let (blocks, dw) = (&out[0], &out[1]);
            let (rows, cols) = problem.structure();
            let mut vals = blocks.to_vec::<f64>();
            vals.extend(dw.to_vec::<f64>());
            let out = json!({
                "rows": abbreviate(&rows),
                "cols": abbreviate(&cols),
                "vals": abbreviate(&vals),
            });
            (out, t)
        }
        _ => return Err(unknown_function("ba", function)),
    };
    Ok(Evaluation { output, timings })
}
