//! `ht`: hand tracking. A skinned hand model is posed by 26 parameters (global rotation and
//! translation, then finger angles): per-bone Euler rotations compose down the skeleton, the
//! bone transforms are blended per vertex by the skinning weights, and the residuals are the
//! measured points minus their corresponding model points (vertices, or in the "complicated"
//! variant points on triangles given by barycentric `us`). The Jacobian is forward mode
//! (`jacfwd`) over the 26 parameters, plus two columns for the `us`: each residual depends
//! only on its own `u`, so shifting every `u` by one shared seed gives those columns exactly.

use cotangent::{jacfwd, DType, Tensor};
use serde::Deserialize;
use serde_json::Value;

use crate::convert::{flat_json, matrix, parse, rows_json};
use crate::modules::{unknown_function, Evaluation};
use crate::runs::{timed, Runs};

#[derive(Deserialize)]
struct Model {
    parents: Vec<i64>,
    base_relatives: Vec<Vec<Vec<f64>>>,
    inverse_base_absolutes: Vec<Vec<Vec<f64>>>,
    base_positions: Vec<Vec<f64>>,
    weights: Vec<Vec<f64>>,
    triangles: Vec<Vec<i64>>,
    is_mirrored: bool,
}

#[derive(Deserialize)]
struct Data {
    model: Model,
    correspondences: Vec<i64>,
    points: Vec<Vec<f64>>,
}

#[derive(Deserialize)]
struct Input {
    theta: Vec<f64>,
    data: Data,
    #[serde(default)]
    us: Vec<Vec<f64>>,
}

/// `[b]` entries as `[b, 3, 3]` matrices.
fn mat3(e: [[&Tensor; 3]; 3]) -> Tensor {
    let rows: Vec<Tensor> = e
        .iter()
        .map(|r| Tensor::stack(&[r[0].clone(), r[1].clone(), r[2].clone()], 1))
        .collect();
    Tensor::stack(&rows, 1)
}

/// 4×4 matrices `[k, 4, 4]` from row-major nested lists.
fn mat4s(ms: &[Vec<Vec<f64>>]) -> Result<Tensor, String> {
    let rows: Vec<Vec<f64>> = ms.iter().flatten().cloned().collect();
    Ok(matrix(&rows, 4)?.reshape(&[ms.len(), 4, 4]))
}

/// Rotations from Euler angles `[b]` each (the reference's x, z, y order): `Rz Ry Rx`.
fn euler(tx: &Tensor, ty: &Tensor, tz: &Tensor) -> Tensor {
    let (o, z) = (tx.ones_like(), tx.zeros_like());
    let (cx, sx, cy, sy, cz, sz) = (tx.cos(), tx.sin(), ty.cos(), ty.sin(), tz.cos(), tz.sin());
    let rx = mat3([[&o, &z, &z], [&z, &cx, &-&sx], [&z, &sx, &cx]]);
    let ry = mat3([[&cy, &z, &sy], [&z, &o, &z], [&-&sy, &z, &cy]]);
    let rz = mat3([[&cz, &-&sz, &z], [&sz, &cz, &z], [&z, &z, &o]]);
    rz.matmul(&ry).matmul(&rx)
}

/// The rotation `[3, 3]` of an angle-axis vector `[3]` (identity for tiny angles).
fn angle_axis(r: &Tensor) -> Tensor {
    let norm = r.square().sum().sqrt();
    if norm.item::<f64>() < 1e-4 {
        return Tensor::eye(3, DType::F64);
    }
    let a = (r / &norm).reshape(&[3, 1]);
    let (x, y, z) = (a.narrow(0, 0, 1), a.narrow(0, 1, 1), a.narrow(0, 2, 1));
    let (s, c) = (norm.sin().reshape(&[1]), norm.cos().reshape(&[1]));
    let x = x.reshape(&[1]);
    let y = y.reshape(&[1]);
    let z = z.reshape(&[1]);
    let c1 = 1.0 - &c;
    let e = |u: &Tensor, v: &Tensor, w: &Tensor, sign: f64| u * v * &c1 + w * &s * sign;
    let diag = |u: &Tensor| u * u + (1.0 - u * u) * &c;
    mat3([
        [&diag(&x), &e(&x, &y, &z, -1.0), &e(&x, &z, &y, 1.0)],
        [&e(&x, &y, &z, 1.0), &diag(&y), &e(&y, &z, &x, -1.0)],
        [&e(&x, &z, &y, -1.0), &e(&z, &y, &x, 1.0), &diag(&z)],
    ])
    .reshape(&[3, 3])
}

/// The hand model and measurements of one problem.
pub struct Problem {
    parents: Vec<i64>,
    bones: usize,
    base_relatives: Tensor,
    inverse_base_absolutes: Tensor,
    base_positions: Tensor,
    weights: Tensor,
    mirrored: bool,
    points: Tensor,
    /// The model vertices each residual compares with: one per point, or a triangle's three.
    corners: Vec<Tensor>,
    /// Where each pose parameter comes from: an index into `theta ++ [0, 1]`, `[3, bones + 3]`.
    pose_index: Tensor,
}

impl Problem {
    fn new(d: &Data, complicated: bool) -> Result<Problem, String> {
        let m = &d.model;
        let bones = m.parents.len();
        // Pose parameters (3 rows, one column per bone after rotation, scale, translation):
        // theta fills the rotation, the translation and, per finger, 4 angles over 3 bones.
        let (zero, one) = (26i64, 27i64);
        let mut pose = vec![vec![zero; bones + 3]; 3];
        for (r, row) in pose.iter_mut().enumerate() {
            row[0] = r as i64;
            row[1] = one;
            row[2] = 3 + r as i64;
        }
        let mut t = 6;
        for finger in 0..5 {
            for (k, col) in (5 + 4 * finger..8 + 4 * finger).enumerate() {
                if col >= bones + 3 {
                    return Err("bad input: too few bones for five fingers".into());
                }
                pose[0][col] = t;
                t += 1;
                if k == 0 {
                    pose[1][col] = t;
                    t += 1;
                }
            }
        }
        let pose_index: Vec<i64> = pose.into_iter().flatten().collect();
        let corners = if complicated {
            (0..3)
                .map(|k| {
                    let v: Vec<i64> = d
                        .correspondences
                        .iter()
                        .map(|&c| m.triangles[c as usize][k])
                        .collect();
                    Tensor::from_vec(v.clone(), &[v.len()])
                })
                .collect()
        } else {
            let c = d.correspondences.clone();
            vec![Tensor::from_vec(c.clone(), &[c.len()])]
        };
        Ok(Problem {
            parents: m.parents.clone(),
            bones,
            base_relatives: mat4s(&m.base_relatives)?,
            inverse_base_absolutes: mat4s(&m.inverse_base_absolutes)?,
            base_positions: matrix(&m.base_positions, 4)?,
            weights: matrix(&m.weights, bones)?,
            mirrored: m.is_mirrored,
            points: matrix(&d.points, 3)?,
            corners,
            pose_index: Tensor::from_vec(pose_index, &[3 * (bones + 3)]),
        })
    }

    /// The posed model's vertices `[V, 3]` for `theta [26]`.
    fn vertices(&self, theta: &Tensor) -> Tensor {
        let nb = self.bones;
        let ext = Tensor::concat(&[theta.clone(), Tensor::from_vec(vec![0.0, 1.0], &[2])], 0);
        let pose = ext.index_select(0, &self.pose_index).reshape(&[3, nb + 3]);
        let angles = pose.narrow(1, 3, nb);
        let row = |r: usize| angles.narrow(0, r, 1).reshape(&[nb]);
        let rot = euler(&row(0), &row(2), &row(1));
        let mut corner = vec![0.0; 16];
        corner[15] = 1.0;
        let tr = rot.pad(&[(0, 0), (0, 1), (0, 1)], 0.0) + Tensor::from_vec(corner, &[4, 4]);
        let relatives = self.base_relatives.matmul(&tr);
        let mut absolutes: Vec<Tensor> = Vec::with_capacity(nb);
        for (i, &p) in self.parents.iter().enumerate() {
            let rel = relatives.narrow(0, i, 1).reshape(&[4, 4]);
            let abs = if p < 0 {
                rel
            } else {
                absolutes[p as usize].matmul(&rel)
            };
            absolutes.push(abs);
        }
        let transforms = Tensor::stack(&absolutes, 0).matmul(&self.inverse_base_absolutes);
        // Blend the transforms per vertex, then apply each blend to its vertex.
        let v = self.base_positions.dims()[0];
        let blended = self
            .weights
            .matmul(&transforms.reshape(&[nb, 16]))
            .reshape(&[v, 4, 4])
            .narrow(1, 0, 3);
        let mut pos = (blended * self.base_positions.reshape(&[v, 1, 4])).sum_axes(&[2], false);
        if self.mirrored {
            pos *= Tensor::from_vec(vec![-1.0, 1.0, 1.0], &[3]);
        }
        let global = angle_axis(&pose.narrow(1, 0, 1).reshape(&[3]));
        let scale = pose.narrow(1, 1, 1).reshape(&[1, 3]);
        let translation = pose.narrow(1, 2, 1).reshape(&[1, 3]);
        pos.matmul(&(global * scale).t()) + translation
    }

    /// The residuals `[3N]` for `theta [26]` and, in the complicated variant, `us [N, 2]`.
    pub fn objective(&self, theta: &Tensor, us: Option<&Tensor>) -> Tensor {
        let pos = self.vertices(theta);
        let at = |k: usize| pos.index_select(0, &self.corners[k]);
        let model = match us {
            None => at(0),
            Some(us) => {
                let n = us.dims()[0];
                let u0 = us.narrow(1, 0, 1);
                let u1 = us.narrow(1, 1, 1);
                let u2 = 1.0 - &u0 - &u1;
                debug_assert_eq!(n, self.points.dims()[0]);
                at(0) * u0 + at(1) * u1 + at(2) * u2
            }
        };
        (&self.points - model).flatten()
    }
}

/// Evaluates `objective` or `jacobian`.
pub fn evaluate(function: &str, input: &Value) -> Result<Evaluation, String> {
    let i: Input = parse(input)?;
    let complicated = !i.us.is_empty();
    let problem = Problem::new(&i.data, complicated)?;
    let theta = Tensor::from_vec(i.theta.clone(), &[i.theta.len()]);
    let us = matrix(&i.us, 2)?;
    let us = complicated.then_some(&us);
    let nt = theta.numel();
    let runs = Runs::from_input(input);
    let (output, timings) = match function {
        "objective" => {
            let (e, t) = timed(runs, || problem.objective(&theta, us));
            (flat_json(&e), t)
        }
        "jacobian" => {
            let (j, t) = timed(runs, || match us {
                None => jacfwd(|th: &Tensor| problem.objective(th, None))(&theta),
                Some(us) => {
                    // z = [shift of every u (2), theta (26)], at z = [0, 0, theta].
                    let z = Tensor::concat(&[Tensor::zeros(&[2], DType::F64), theta.clone()], 0);
                    let f = |z: &Tensor| {
                        let shifted = us + z.narrow(0, 0, 2);
                        problem.objective(&z.narrow(0, 2, nt), Some(&shifted))
                    };
                    jacfwd(f)(&z)
                }
            });
            (rows_json(&j), t)
        }
        _ => return Err(unknown_function("ht", function)),
    };
    Ok(Evaluation { output, timings })
}
