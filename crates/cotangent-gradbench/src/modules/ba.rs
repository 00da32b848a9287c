//! `ba`: bundle adjustment. Each observation projects a 3-d point through a camera (Rodrigues
//! rotation, perspective division, radial distortion, focal length and principal point) and
//! weighs the reprojection error; a second residual `1 - w²` per observation penalizes the
//! weights. The residuals of one observation are written once for one observation and mapped
//! over all of them with `vmap`; the Jacobian is `vmap(jacfwd(residual))`, so each
//! observation's dense 2×15 block comes from 15 forward passes batched over every observation
//! (the blocks of different observations never overlap). The eval's input holds one camera,
//! point, weight and feature, to be repeated; every observation is computed all the same.

use cotangent::{grad, jacfwd, vmap, vmap_n, DType, Tensor};
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

/// `a × b` for 3-vectors.
fn cross(a: &Tensor, b: &Tensor) -> Tensor {
    let (yzx, zxy) = (index(&[1, 2, 0]), index(&[2, 0, 1]));
    a.index_select(0, &yzx) * b.index_select(0, &zxy)
        - a.index_select(0, &zxy) * b.index_select(0, &yzx)
}

/// `pt` rotated by the angle-axis vector `rot` (to first order when `rot` is zero).
fn rodrigues(rot: &Tensor, pt: &Tensor) -> Tensor {
    let sqtheta = rot.square().sum();
    let zero = Tensor::scalar(0.0);
    let nonzero = sqtheta.ne(&zero);
    // Keep the unused branch finite, so that its zero cotangent stays zero.
    let theta = nonzero.select(&sqtheta, &Tensor::scalar(1.0)).sqrt();
    let (cos, sin) = (theta.cos(), theta.sin());
    let w = rot / &theta;
    let tmp = (&w * pt).sum() * (1.0 - &cos);
    let full = pt * &cos + cross(&w, pt) * &sin + &w * tmp;
    let small = pt + cross(rot, pt);
    nonzero.select(&full, &small)
}

/// The two weighted reprojection errors of one observation with parameters
/// `q = [camera (11), point (3), weight]` and measured feature `feat [2]`.
pub fn residual(q: &Tensor, feat: &Tensor) -> Tensor {
    let rot = q.narrow(0, 0, 3);
    let center = q.narrow(0, 3, 3);
    let focal = q.narrow(0, 6, 1);
    let principal = q.narrow(0, 7, 2);
    let radial = q.narrow(0, 9, 2);
    let point = q.narrow(0, CAM, 3);
    let w = q.narrow(0, CAM + 3, 1);
    let xcam = rodrigues(&rot, &(point - center));
    let proj = xcam.narrow(0, 0, 2) / xcam.narrow(0, 2, 1);
    let rsq = proj.square().sum();
    let k1 = radial.narrow(0, 0, 1);
    let k2 = radial.narrow(0, 1, 1);
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

    /// Every observation's parameters, `[p, 15]`.
    fn params(&self) -> Tensor {
        Tensor::concat(
            &[
                self.cams.index_select(0, &self.cam_of),
                self.points.index_select(0, &self.point_of),
                self.weights.clone(),
            ],
            1,
        )
    }

    /// Reprojection errors `[p, 2]` and weight errors `[p]`.
    fn objective(&self) -> (Tensor, Tensor) {
        let errs = vmap_n(
            |a: &[Tensor]| vec![residual(&a[0], &a[1])],
            vec![Some(0), Some(0)],
            vec![0],
        )(&[self.params(), self.feats.clone()]);
        let w = self.weights.reshape(&[self.p]);
        (errs[0].clone(), 1.0 - w.square())
    }

    /// The blocks `[p, 2, 15]` of the reprojection errors and the weight errors' derivatives.
    fn jacobian(&self) -> (Tensor, Tensor) {
        let blocks = vmap_n(
            |a: &[Tensor]| vec![jacfwd(|q: &Tensor| residual(q, &a[1]))(&a[0])],
            vec![Some(0), Some(0)],
            vec![0],
        )(&[self.params(), self.feats.clone()]);
        let w = self.weights.reshape(&[self.p]);
        let dw = vmap(grad(|w: &Tensor| 1.0 - w.square()), 0, 0)(&w);
        (blocks[0].clone(), dw)
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
            let ((reproj, werr), t) = timed(runs, || problem.objective());
            let r = reproj.to_vec::<f64>();
            let out = json!({
                "reproj_error": {"elements": r[..2.min(r.len())], "repeated": p},
                "w_err": {"element": werr.to_vec::<f64>().first(), "repeated": p},
            });
            (out, t)
        }
        "jacobian" => {
            let ((blocks, dw), t) = timed(runs, || problem.jacobian());
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
